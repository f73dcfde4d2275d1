import type { Sql } from './sql';

type Load<V> = (sql: Sql, keys: number[]) => Promise<Map<number, V>>;

interface Waiter<V> {
  key: number;
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

interface Batch<V> {
  sql: Sql;
  waiters: Waiter<V>[];
  sent: boolean;
}

/**
 * Batches one kind of autocommit lookup across the requests of this process: the keys asked for
 * are read with ONE statement on the pool (at most `maxKeys` per statement). For reads every
 * request makes (the token check), so that under load the database answers one statement for
 * many requests instead of one per request. One lookup is in flight at a time: the keys asked
 * in the same turn of the event loop go together at the end of that turn, and those asked while
 * a lookup is in flight wait for it and then go together, as a group commit does (a round trip
 * is what a lookup costs the database and this process most, docs/BENCHMARKS.md § Seventh
 * pass). Nothing is cached: each lookup is a read made after it was asked for, as fresh as a
 * statement of its own.
 */
export class TickBatch<V> {
  private pending: Batch<V> | null = null;
  private inFlight = 0;

  constructor(
    private readonly load: Load<V>,
    private readonly maxKeys = 200,
    private readonly maxInFlight = 1,
  ) {}

  get(sql: Sql, key: number): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      let batch = this.pending;
      if (!batch) {
        const created: Batch<V> = { sql, waiters: [], sent: false };
        this.pending = batch = created;
        // Otherwise it goes when the lookup in flight answers.
        if (this.inFlight < this.maxInFlight) setImmediate(() => this.send(created));
      }
      batch.waiters.push({ key, resolve, reject });
      if (batch.waiters.length >= this.maxKeys) this.send(batch);
    });
  }

  private send(batch: Batch<V>): void {
    if (batch.sent) return;
    batch.sent = true;
    if (this.pending === batch) this.pending = null;
    void this.flush(batch);
  }

  private async flush(batch: Batch<V>): Promise<void> {
    this.inFlight += 1;
    try {
      const found = await this.load(batch.sql, [...new Set(batch.waiters.map((w) => w.key))]);
      for (const w of batch.waiters) w.resolve(found.get(w.key));
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
    } finally {
      this.inFlight -= 1;
      // The keys asked meanwhile go now, together.
      const next = this.pending;
      if (next && this.inFlight < this.maxInFlight) this.send(next);
    }
  }
}

import type { Sql } from './sql';

type Load<V> = (sql: Sql, keys: number[]) => Promise<Map<number, V>>;

interface Waiter<V> {
  key: number;
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Batches one kind of autocommit lookup across the requests of this process: every key asked for
 * in the same turn of the event loop is read with ONE statement on the pool (at most `maxKeys`
 * per statement). For reads every request makes (the token check), so that under load the
 * database answers one statement per turn instead of one per request. Nothing is cached: each
 * lookup is a read made after it was asked for, as fresh as a statement of its own.
 */
export class TickBatch<V> {
  private pending: { sql: Sql; waiters: Waiter<V>[] } | null = null;

  constructor(
    private readonly load: Load<V>,
    private readonly maxKeys = 200,
  ) {}

  get(sql: Sql, key: number): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        const batch = { sql, waiters: [] as Waiter<V>[] };
        this.pending = batch;
        setImmediate(() => {
          if (this.pending === batch) this.pending = null;
          void this.flush(batch.sql, batch.waiters);
        });
      }
      this.pending.waiters.push({ key, resolve, reject });
      if (this.pending.waiters.length >= this.maxKeys) {
        const full = this.pending;
        this.pending = null;
        void this.flush(full.sql, full.waiters);
      }
    });
  }

  private async flush(sql: Sql, waiters: Waiter<V>[]): Promise<void> {
    if (!waiters.length) return;
    try {
      const found = await this.load(sql, [...new Set(waiters.map((w) => w.key))]);
      for (const w of waiters) w.resolve(found.get(w.key));
    } catch (error) {
      for (const w of waiters) w.reject(error);
    }
  }
}

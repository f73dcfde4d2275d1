import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import mysql from 'mysql2/promise';

/**
 * Raw mysql2 strategies on the same database server, same tables, same client concurrency and
 * the same connection budget as the servers under test (processes × DATABASE_POOL_SIZE). They
 * bound what the GraphQL path could reach (L1, L2), show what row locking costs (pessimistic)
 * and what skipping the guard costs in correctness (naive). Text protocol (`query`), as the ORM
 * uses, so that statement costs compare. No retries: none of them should need any.
 */

export interface SaleTarget {
  stockId: number;
  productId: number;
  warehouseId: number;
  price: string;
}

export type Code = string;

const REQUEST_HASH = '0'.repeat(64);
const NOW = 'UTC_TIMESTAMP(3)';

function errorCode(error: unknown): Code {
  const code = (error as { code?: string }).code;
  if (code === 'ER_LOCK_DEADLOCK') return 'DEADLOCK';
  if (code === 'ER_LOCK_WAIT_TIMEOUT') return 'LOCK_WAIT_TIMEOUT';
  return `DB_${code ?? 'ERROR'}`;
}

type Conn = mysql.PoolConnection;
type Result = mysql.ResultSetHeader;

async function insertOrderRow(conn: Conn, userId: number, target: SaleTarget): Promise<number> {
  const [order] = await conn.query<Result>(
    `INSERT INTO orders (created_at, updated_at, user_id, status, total_price, shipping_cost, idempotency_key, request_hash, version) VALUES (${NOW}, ${NOW}, ?, 'PENDING', ?, '0.00', ?, ?, 1)`,
    [userId, target.price, randomUUID(), REQUEST_HASH],
  );
  return order.insertId;
}

/**
 * The line's foreign key to `stocks` makes InnoDB take a SHARED lock on the stock row: written
 * before this transaction holds the row's exclusive lock, every buyer of a hot SKU would hold S
 * and wait for X, and they deadlock. So the line always comes after the decrement.
 */
async function insertLine(conn: Conn, orderId: number, target: SaleTarget): Promise<void> {
  await conn.query(
    `INSERT INTO order_lines (created_at, updated_at, order_id, product_id, warehouse_id, stock_id, quantity, unit_price, subtotal) VALUES (${NOW}, ${NOW}, ?, ?, ?, ?, 1, ?, ?)`,
    [orderId, target.productId, target.warehouseId, target.stockId, target.price, target.price],
  );
}

async function insertOrder(conn: Conn, userId: number, target: SaleTarget): Promise<number> {
  const orderId = await insertOrderRow(conn, userId, target);
  await insertLine(conn, orderId, target);
  return orderId;
}

/** Ledger row whose "after" values are read from the row this transaction has just written. */
async function insertSaleMovementFromRow(conn: Conn, stockId: number, orderId: number, userId: number): Promise<void> {
  await conn.query(
    `INSERT INTO stock_movements (created_at, updated_at, stock_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id) ` +
      `SELECT ${NOW}, ${NOW}, id, product_id, 'SALE', -1, 0, on_hand, reserved, NULL, ?, ? FROM stocks WHERE id = ?`,
    [orderId, userId, stockId],
  );
}

const GUARDED_DECREMENT = `UPDATE stocks SET on_hand = on_hand - 1, sold = sold + 1, version = version + 1, updated_at = ${NOW} WHERE id = ? AND on_hand - reserved >= 1`;

export class RawSqlStrategies {
  private readonly pool: mysql.Pool;

  constructor(
    url: string,
    private readonly connectionLimit: number,
  ) {
    this.pool = mysql.createPool({ uri: url, connectionLimit, waitForConnections: true, queueLimit: 0, timezone: 'Z' });
  }

  async warmUp(): Promise<void> {
    const conns = await Promise.all(Array.from({ length: this.connectionLimit }, () => this.pool.getConnection()));
    for (const c of conns) c.release();
  }

  /** L1: one autocommit guarded decrement, nothing else: the hot-row ceiling. */
  async l1(target: SaleTarget): Promise<Code> {
    try {
      const [res] = await this.pool.query<Result>(GUARDED_DECREMENT, [target.stockId]);
      return res.affectedRows === 1 ? 'OK' : 'INSUFFICIENT_STOCK';
    } catch (error) {
      return errorCode(error);
    }
  }

  /** L2: the minimal transaction that records one order: decrement, order, line, ledger row. */
  l2(target: SaleTarget, userId: number): Promise<Code> {
    return this.transaction(async (conn) => {
      const [res] = await conn.query<Result>(GUARDED_DECREMENT, [target.stockId]);
      if (res.affectedRows !== 1) return 'INSUFFICIENT_STOCK';
      const orderId = await insertOrder(conn, userId, target);
      await insertSaleMovementFromRow(conn, target.stockId, orderId, userId);
      return 'OK';
    });
  }

  /**
   * L2-late: the same statements with the order row written BEFORE the guarded decrement, so the
   * hot row's lock is held for line + ledger + commit instead of order + line + ledger + commit
   * (this is the statement order buyNow uses). The line cannot move before the decrement: see
   * insertLine.
   */
  l2Late(target: SaleTarget, userId: number): Promise<Code> {
    return this.transaction(async (conn) => {
      const orderId = await insertOrderRow(conn, userId, target);
      const [res] = await conn.query<Result>(GUARDED_DECREMENT, [target.stockId]);
      if (res.affectedRows !== 1) return 'INSUFFICIENT_STOCK';
      await insertLine(conn, orderId, target);
      await insertSaleMovementFromRow(conn, target.stockId, orderId, userId);
      return 'OK';
    });
  }

  /** Pessimistic: lock the row with SELECT … FOR UPDATE, check, then decrement + order + line + ledger. */
  pessimistic(target: SaleTarget, userId: number): Promise<Code> {
    return this.transaction(async (conn) => {
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT on_hand, reserved FROM stocks WHERE id = ? FOR UPDATE', [target.stockId]);
      const onHand = Number(rows[0].on_hand);
      const reserved = Number(rows[0].reserved);
      if (onHand - reserved < 1) return 'INSUFFICIENT_STOCK';
      await conn.query(`UPDATE stocks SET on_hand = on_hand - 1, sold = sold + 1, version = version + 1, updated_at = ${NOW} WHERE id = ?`, [target.stockId]);
      const orderId = await insertOrder(conn, userId, target);
      await conn.query(
        `INSERT INTO stock_movements (created_at, updated_at, stock_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id) VALUES (${NOW}, ${NOW}, ?, ?, 'SALE', -1, 0, ?, ?, NULL, ?, ?)`,
        [target.stockId, target.productId, onHand - 1, reserved, orderId, userId],
      );
      return 'OK';
    });
  }

  /**
   * The canary: read-modify-write with neither a lock nor a guard (a plain consistent read, then
   * `SET on_hand = <read> - 1`), the Vendure/Medusa bug. Expected to lose updates and oversell.
   */
  naive(target: SaleTarget, userId: number): Promise<Code> {
    return this.transaction(async (conn) => {
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT on_hand, reserved FROM stocks WHERE id = ?', [target.stockId]);
      const onHand = Number(rows[0].on_hand);
      const reserved = Number(rows[0].reserved);
      if (onHand - reserved < 1) return 'INSUFFICIENT_STOCK';
      await conn.query(`UPDATE stocks SET on_hand = ?, sold = sold + 1, version = version + 1, updated_at = ${NOW} WHERE id = ?`, [onHand - 1, target.stockId]);
      const orderId = await insertOrder(conn, userId, target);
      await conn.query(
        `INSERT INTO stock_movements (created_at, updated_at, stock_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id) VALUES (${NOW}, ${NOW}, ?, ?, 'SALE', -1, 0, ?, ?, NULL, ?, ?)`,
        [target.stockId, target.productId, onHand - 1, reserved, orderId, userId],
      );
      return 'OK';
    });
  }

  /**
   * Server-wide counters (statements, row-lock waits and time, deadlocks): deltas around a run
   * tell how many statements a unit costs and how long it waited for row locks. Server-wide, so
   * anything else running on the same database server is counted too.
   */
  async globalStatus(): Promise<Record<string, number>> {
    const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit', 'Com_rollback', 'Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_deadlocks')",
    );
    return Object.fromEntries(rows.map((r) => [String(r.Variable_name), Number(r.Value)]));
  }

  /** The database server's process id when it runs on this machine and its pid file is readable. */
  async localServerPid(): Promise<number | null> {
    try {
      const [rows] = await this.pool.query<mysql.RowDataPacket[]>('SELECT @@pid_file AS f');
      const pid = Number(fs.readFileSync(String(rows[0].f), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Runs `work` in a transaction; commits on 'OK', rolls back otherwise (and on any error). */
  private async transaction(work: (conn: Conn) => Promise<Code>): Promise<Code> {
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      let code: Code;
      try {
        code = await work(conn);
      } catch (error) {
        await conn.rollback().catch(() => undefined);
        return errorCode(error);
      }
      if (code === 'OK') await conn.commit();
      else await conn.rollback();
      return code;
    } catch (error) {
      await conn.rollback().catch(() => undefined);
      return errorCode(error);
    } finally {
      conn.release();
    }
  }
}

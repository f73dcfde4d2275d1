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

/** A ledger row of `kind` whose "after" values are read from the row this transaction has just written (and holds locked). */
async function insertMovementFromRow(
  conn: Conn,
  move: { stockId: number; kind: 'SALE' | 'RESERVATION' | 'RELEASE'; onHandDelta: number; reservedDelta: number; orderId: number | null; userId: number },
): Promise<void> {
  await conn.query(
    `INSERT INTO stock_movements (created_at, updated_at, stock_id, product_id, kind, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, order_id, actor_id) ` +
      `SELECT ${NOW}, ${NOW}, id, product_id, ?, ?, ?, on_hand, reserved, NULL, ?, ? FROM stocks WHERE id = ?`,
    [move.kind, move.onHandDelta, move.reservedDelta, move.orderId, move.userId, move.stockId],
  );
}

const GUARDED_RESERVE = `UPDATE stocks SET reserved = reserved + 1, version = version + 1, updated_at = ${NOW} WHERE id = ? AND reserved + 1 <= on_hand`;
/** A held unit becomes a sale: leaves on hand and reserved together, guarded like every stock write. */
const GUARDED_HELD_SALE = `UPDATE stocks SET on_hand = on_hand - 1, reserved = reserved - 1, sold = sold + 1, version = version + 1, updated_at = ${NOW} WHERE id = ? AND reserved >= 1 AND on_hand >= 1`;
const HOLD_TTL_MS = 15 * 60 * 1000;

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
   * L2+count<N>: L2 plus an order counter kept in the same transaction, as the last statement
   * (so its row lock is held only for the COMMIT): one row (`slots` = 1) or a sharded counter of
   * `slots` rows, one picked at random, summed on read. Bench-only (`--strategies=L2+count1,…`):
   * it measures what counting orders on the write path would cost a sale (docs/SCALING.md).
   */
  l2Counted(target: SaleTarget, userId: number, slots: number): Promise<Code> {
    return this.transaction(async (conn) => {
      const [res] = await conn.query<Result>(GUARDED_DECREMENT, [target.stockId]);
      if (res.affectedRows !== 1) return 'INSUFFICIENT_STOCK';
      const orderId = await insertOrder(conn, userId, target);
      await insertSaleMovementFromRow(conn, target.stockId, orderId, userId);
      await conn.query(`INSERT INTO bench_order_counts (slot, orders) VALUES (?, 1) ON DUPLICATE KEY UPDATE orders = orders + 1`, [
        slots === 1 ? 0 : Math.floor(Math.random() * slots),
      ]);
      return 'OK';
    });
  }

  /** The table of the L2+count baselines (in the bench's own database only). */
  async createCounterTable(): Promise<void> {
    await this.pool.query('CREATE TABLE IF NOT EXISTS bench_order_counts (slot INT NOT NULL PRIMARY KEY, orders BIGINT NOT NULL) ENGINE = InnoDB');
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

  /**
   * L2-cart: the cart path's two transactions with the fewest statements, the ceiling of
   * addToCart + checkout (scenario B). Hold: guarded reserve, its ledger row, the cart line, the
   * hold row. Checkout: the order row, the hold removed (a compare-and-set: it must still be
   * there), the held unit sold by one guarded write, its ledger row, the order line (after the
   * write: see insertLine), the cart line removed. The buyer's cart row is found or created once
   * per buyer (a cart exists from the first addToCart on, as on the server). When the checkout
   * fails the hold is given back, so the books close.
   */
  async l2Cart(target: SaleTarget, userId: number): Promise<Code> {
    const cartId = await this.cartOf(userId);
    let held: { itemId: number; holdId: number } | undefined;
    const hold = await this.transaction(async (conn) => {
      const [res] = await conn.query<Result>(GUARDED_RESERVE, [target.stockId]);
      if (res.affectedRows !== 1) return 'INSUFFICIENT_STOCK';
      await insertMovementFromRow(conn, { stockId: target.stockId, kind: 'RESERVATION', onHandDelta: 0, reservedDelta: 1, orderId: null, userId });
      const [item] = await conn.query<Result>(
        `INSERT INTO cart_items (created_at, updated_at, cart_id, product_id, quantity, unit_price, version) VALUES (${NOW}, ${NOW}, ?, ?, 1, ?, 1)`,
        [cartId, target.productId, target.price],
      );
      const [holdRow] = await conn.query<Result>(
        `INSERT INTO stock_holds (created_at, updated_at, cart_item_id, stock_id, quantity, expires_at_ms) VALUES (${NOW}, ${NOW}, ?, ?, 1, ?)`,
        [item.insertId, target.stockId, Date.now() + HOLD_TTL_MS],
      );
      held = { itemId: item.insertId, holdId: holdRow.insertId };
      return 'OK';
    });
    if (hold !== 'OK' || !held) return hold;
    const line = held;
    const sale = await this.transaction(async (conn) => {
      const orderId = await insertOrderRow(conn, userId, target);
      const [taken] = await conn.query<Result>('DELETE FROM stock_holds WHERE id = ? AND quantity = 1', [line.holdId]);
      if (taken.affectedRows !== 1) return 'RESERVATION_EXPIRED';
      const [res] = await conn.query<Result>(GUARDED_HELD_SALE, [target.stockId]);
      if (res.affectedRows !== 1) return 'INSUFFICIENT_STOCK';
      await insertMovementFromRow(conn, { stockId: target.stockId, kind: 'SALE', onHandDelta: -1, reservedDelta: -1, orderId, userId });
      await insertLine(conn, orderId, target);
      await conn.query('DELETE FROM cart_items WHERE id = ?', [line.itemId]);
      return 'OK';
    });
    if (sale !== 'OK') await this.giveBack(target, userId, line);
    return sale;
  }

  private readonly carts = new Map<number, Promise<number>>();

  /** The buyer's cart row (unique per user), created if missing; once per buyer. */
  private cartOf(userId: number): Promise<number> {
    let cart = this.carts.get(userId);
    if (!cart) {
      cart = (async () => {
        await this.pool.query(`INSERT IGNORE INTO carts (created_at, updated_at, user_id) VALUES (${NOW}, ${NOW}, ?)`, [userId]);
        const [rows] = await this.pool.query<mysql.RowDataPacket[]>('SELECT id FROM carts WHERE user_id = ?', [userId]);
        return Number(rows[0].id);
      })();
      this.carts.set(userId, cart);
    }
    return cart;
  }

  /** Releases an L2-cart hold whose checkout failed (RELEASE in the ledger), so that nothing stays reserved. */
  private async giveBack(target: SaleTarget, userId: number, line: { itemId: number; holdId: number }): Promise<void> {
    await this.transaction(async (conn) => {
      const [taken] = await conn.query<Result>('DELETE FROM stock_holds WHERE id = ? AND quantity = 1', [line.holdId]);
      if (taken.affectedRows === 1) {
        await conn.query(`UPDATE stocks SET reserved = reserved - 1, version = version + 1, updated_at = ${NOW} WHERE id = ? AND reserved >= 1`, [target.stockId]);
        await insertMovementFromRow(conn, { stockId: target.stockId, kind: 'RELEASE', onHandDelta: 0, reservedDelta: -1, orderId: null, userId });
      }
      await conn.query('DELETE FROM cart_items WHERE id = ?', [line.itemId]);
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

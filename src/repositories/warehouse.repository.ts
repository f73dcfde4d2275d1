import { num, type Sql } from '../db/sql';
import { OrderStatus } from '../entities';

/** The SQL that guarded units run on `warehouses` (the row lock) and the checks before deleting one. */

export interface WarehouseRow {
  id: number;
  ownerId: number;
  archived: boolean;
}

/**
 * Reads a warehouse row with a row lock on MySQL: `share` for stock changes (they run side by
 * side), `update` for deleting the warehouse, so a delete and a stock change of the same
 * warehouse never interleave. SQLite serialises writing transactions by itself.
 */
export async function lockWarehouse(sql: Sql, id: number, mode: 'share' | 'update'): Promise<WarehouseRow | null> {
  const lock = sql.kind === 'mysql' ? (mode === 'share' ? ' LOCK IN SHARE MODE' : ' FOR UPDATE') : '';
  const row = await sql.get(`SELECT id, owner_id, archived_at FROM warehouses WHERE id = ?${lock}`, [id]);
  return row ? { id: num(row.id), ownerId: num(row.owner_id), archived: row.archived_at !== null && row.archived_at !== undefined } : null;
}

/** Orders still open (PENDING or PROCESSED) that were filled from the warehouse. */
export async function countOpenOrdersFrom(sql: Sql, warehouseId: number): Promise<number> {
  const row = await sql.get(
    'SELECT COUNT(DISTINCT ol.order_id) AS n FROM order_lines ol JOIN orders o ON o.id = ol.order_id WHERE ol.warehouse_id = ? AND o.status IN (?, ?)',
    [warehouseId, OrderStatus.PENDING, OrderStatus.PROCESSED],
  );
  return num(row?.n);
}

export async function deleteWarehouseRow(sql: Sql, id: number): Promise<void> {
  await sql.run('DELETE FROM warehouses WHERE id = ?', [id]);
}

export async function archiveWarehouseRow(sql: Sql, id: number): Promise<void> {
  await sql.run('UPDATE warehouses SET archived_at = ? WHERE id = ?', [sql.date(new Date()), id]);
}

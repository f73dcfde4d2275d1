import { UnauthenticatedError } from '../common/errors';
import { marks, num, rowsOf, type Sql } from '../db/sql';
import type { UserRole } from '../entities';

/** The SQL of the `users` columns that guarded units and every request touch (lock, token version, TOTP step). */

/**
 * Serialises every cart and checkout unit of one shopper when the write limiter is off (otherwise
 * the limiter's upsert of the shopper's counter row, the unit's first statement, is that lock:
 * ShopperMutation.run). On MySQL it is a row lock on the user, taken as the unit's FIRST statement: InnoDB (REPEATABLE READ) fixes a transaction's snapshot at
 * its first plain read, so everything read afterwards includes every earlier unit of this shopper
 * (no checkout can act on a cart line that a concurrent checkout already sold). SQLite runs one
 * write transaction at a time, so nothing is needed there. Other shoppers are never blocked.
 */
export function lockShopper(sql: Sql, userId: number): void {
  if (sql.kind !== 'mysql') return;
  // Sent ahead of the unit's first statement (Sql.prefix, with its BEGIN); an unknown user fails that statement.
  sql.prefix({ sql: 'SELECT id FROM users WHERE id = ? FOR UPDATE', params: [userId] }, (result) => {
    if (!rowsOf(result).length) throw new UnauthenticatedError('Account not found: sign in again');
  });
}

export interface TokenOwner {
  id: number;
  role: UserRole;
  tokenVersion: number;
}

/** The three columns a token check needs, of several users at once (unknown ids are absent). */
export async function findTokenOwners(sql: Sql, userIds: number[]): Promise<Map<number, TokenOwner>> {
  const rows = userIds.length ? await sql.all(`SELECT id, role, token_version FROM users WHERE id IN (${marks(userIds.length)})`, userIds) : [];
  return new Map(rows.map((row) => [num(row.id), { id: num(row.id), role: row.role as UserRole, tokenVersion: num(row.token_version) }]));
}

/** Records an accepted TOTP time step, only if it is later than the last one: false for a replay. */
export async function recordTotpStep(sql: Sql, userId: number, step: number): Promise<boolean> {
  const result = await sql.run('UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)', [step, userId, step]);
  return result.affectedRows === 1;
}

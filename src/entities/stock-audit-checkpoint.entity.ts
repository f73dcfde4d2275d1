import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity } from './base';

/**
 * Written by a clean stock audit (`npm run audit:stock`): the ledger up to `lastMovementId` was
 * checked and found consistent, so `--incremental` checks only the movements after it.
 */
@Entity({ tableName: 'stock_audit_checkpoints' })
export class StockAuditCheckpoint extends BaseEntity {
  @Property({ type: 'integer' })
  lastMovementId!: number;

  @Property({ type: 'integer' })
  stocksChecked!: number;

  @Property({ type: 'integer' })
  movementsChecked!: number;

  /** true for a full audit, false for an incremental one. */
  @Property({ type: 'boolean' })
  fullAudit!: boolean;
}

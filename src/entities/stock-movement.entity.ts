import { Entity, Enum, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { MoneyType } from './money.type';
import { Stock } from './stock.entity';
import { User } from './user.entity';

export enum StockMovementKind {
  ADJUSTMENT = 'ADJUSTMENT',
  RESERVATION = 'RESERVATION',
  RELEASE = 'RELEASE',
  SALE = 'SALE',
  CANCELLATION = 'CANCELLATION',
  EXPIRY = 'EXPIRY',
}

/**
 * Append-only ledger: one row per change of a stock row, written in the same transaction as the
 * change. Summing `onHandDelta` and `reservedDelta` over a stock's movements rebuilds the row.
 */
@Entity({ tableName: 'stock_movements' })
@Index({ name: 'stock_movements_stock_idx', properties: ['stock', 'id'] })
@Index({ name: 'stock_movements_product_idx', properties: ['productId', 'id'] })
export class StockMovement extends BaseEntity {
  @ManyToOne({ entity: () => Stock, ref: true, deleteRule: 'restrict' })
  stock!: Ref<Stock>;

  /**
   * The product of the stock row (copied by the ledger writer from the row it locked), so a
   * product's ledger is read a page at a time on `(product_id, id)`. No foreign key: it adds
   * nothing the stock row's does not, and would share-lock the product row on every ledger insert.
   */
  @Property({ type: 'integer' })
  productId!: number;

  @Enum({ items: () => StockMovementKind, nativeEnumName: 'stock_movement_kind' })
  kind!: StockMovementKind;

  @Property({ type: 'integer' })
  onHandDelta!: number;

  @Property({ type: 'integer' })
  reservedDelta!: number;

  @Property({ type: 'integer' })
  onHandAfter!: number;

  @Property({ type: 'integer' })
  reservedAfter!: number;

  @Property({ type: 'string', length: 500, nullable: true })
  reason?: string | null;

  @Property({ type: 'integer', nullable: true })
  orderId?: number | null;

  /** SALE rows: the price per unit the buyer paid (the flash sale's price while one applied). */
  @Property({ type: MoneyType, nullable: true })
  unitPrice?: string | null;

  @ManyToOne({ entity: () => User, ref: true, nullable: true, deleteRule: 'restrict' })
  actor?: Ref<User> | null;
}

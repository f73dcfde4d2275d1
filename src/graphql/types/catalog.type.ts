import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ErrorCode } from '../../common/errors';
import { StockMovementKind } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Connection } from './connection';
import { ErrorCodeEnum } from './error-code.type';
import { FlashSaleType } from './flash-sale.type';

registerEnumType(StockMovementKind, {
  name: 'StockMovementKind',
  description: 'What caused a stock change',
  valuesConfig: {
    ADJUSTMENT: { description: 'setStock, setStocks or adjustStock (or a warehouse emptied on delete): onHand changed' },
    RESERVATION: { description: 'A cart line held units: reserved went up' },
    RELEASE: { description: 'A cart line let go of held units (quantity lowered, line removed, cart cleared): reserved went down' },
    SALE: { description: 'An order took units: onHand (and any hold) went down' },
    CANCELLATION: { description: 'A cancelled order returned its units: onHand went up' },
    EXPIRY: { description: 'A lapsed hold was released: reserved went down' },
  },
});

/** Relation and computed fields (owner, available, totalOrdered, stocks) come from ProductResolver. */
@ObjectType('Product', { description: 'A product of the catalog; its stock lives in warehouses (Stock)' })
export class ProductType {
  @Field(() => ID, { description: 'The product id' })
  id!: number;

  @Field(() => String, { description: '1-200 characters' })
  name!: string;

  @Field(() => String, { description: 'Up to 5000 characters; empty when none was given' })
  description!: string;

  @Field(() => DecimalScalar, { description: 'Current unit price, a decimal string such as "19.99"; a cart line is charged the price current at checkout' })
  price!: string;

  @Field(() => String, { description: '1-100 characters; ProductFilter.category matches it exactly' })
  category!: string;

  @Field(() => Date, { description: 'When the product was created' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the product\'s fields last changed' })
  updatedAt!: Date;
}

/** `stocks` comes from WarehouseResolver. */
@ObjectType('Warehouse', { description: 'A place that holds stock, owned by one user' })
export class WarehouseType {
  @Field(() => ID, { description: 'The warehouse id' })
  id!: number;

  @Field(() => String, { description: '1-200 characters' })
  name!: string;

  @Field(() => String, { description: 'Up to 200 characters; empty when none was given' })
  location!: string;

  @Field(() => Date, { description: 'When the warehouse was created' })
  createdAt!: Date;
}

/** warehouse, product, reserved (active holds) and available come from StockResolver. */
@ObjectType('Stock', { description: 'The stock of one product in one warehouse: available = onHand - reserved, never below 0' })
export class StockType {
  @Field(() => ID, { description: 'The stock row id' })
  id!: number;

  @Field(() => Int, { description: 'Units physically in the warehouse (sold units leave it)' })
  onHand!: number;

  @Field(() => Int, { description: 'Bumped by every change; pass it as expectedVersion for a compare-and-set' })
  version!: number;

  @Field(() => Date, { description: 'When the row last changed' })
  updatedAt!: Date;
}

/** stock, delta and actor come from StockMovementResolver. */
@ObjectType('StockMovement', { description: 'One row of the stock ledger: every change of a stock row has one, written in the same transaction' })
export class StockMovementType {
  @Field(() => ID, { description: 'The ledger row id (ascending in the order of the changes)' })
  id!: number;

  @Field(() => StockMovementKind, { description: 'What caused the change' })
  kind!: StockMovementKind;

  @Field(() => Int, { description: 'Change of on-hand quantity' })
  onHandDelta!: number;

  @Field(() => Int, { description: 'Change of reserved quantity' })
  reservedDelta!: number;

  @Field(() => Int, { description: 'The stock\'s onHand right after this change' })
  onHandAfter!: number;

  @Field(() => Int, { description: 'The stock\'s reserved quantity right after this change' })
  reservedAfter!: number;

  @Field(() => String, { nullable: true, description: 'The reason given with adjustStock; null otherwise' })
  reason?: string | null;

  @Field(() => ID, { nullable: true, description: 'The order of a SALE or CANCELLATION; null otherwise' })
  orderId?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'SALE: the price per unit paid (the flash sale\'s while one applied)' })
  unitPrice?: string | null;

  @Field(() => Date, { description: 'When the change was made' })
  createdAt!: Date;
}

/** product comes from StockLevelFieldResolver. */
@ObjectType('StockLevel', { description: 'A stockChanged event: the product\'s sellable quantity after a change' })
export class StockLevelType {
  @Field(() => ID, { description: 'The product whose availability changed' })
  productId!: number;

  @Field(() => Int, { description: 'Sellable quantity over all live warehouses after the change (as Product.available)' })
  available!: number;

  @Field(() => FlashSaleType, {
    nullable: true,
    description: "The product's sale running now or next, else its latest (ENDED or CANCELLED): a change is pushed when a sale opens, its quota moves and it is over",
  })
  flashSale?: unknown;
}

/**
 * The product of a stock event when nothing but `id` and `available` is asked of it: both come
 * with the event, so no row is read per event and subscriber.
 */
export class ProductAtLevel {
  constructor(
    readonly id: number,
    readonly available: number,
  ) {}
}

@ObjectType('StockError', { description: 'Why one item of setStocks failed' })
export class StockErrorType {
  @Field(() => ErrorCodeEnum, { description: 'The same code a GraphQL error of this item would carry in extensions.code' })
  code!: ErrorCode;

  @Field(() => String, { description: 'Human-readable reason' })
  message!: string;
}

@ObjectType('StockResult', { description: 'One item of a bulk setStocks: either ok with the stock, or an error' })
export class StockResultType {
  @Field(() => Boolean, { description: 'Whether this item was applied' })
  ok!: boolean;

  @Field(() => StockType, { nullable: true, description: 'The stock after the change; null when ok is false' })
  stock?: unknown;

  @Field(() => StockErrorType, { nullable: true, description: 'Why the item failed; null when ok is true' })
  error?: StockErrorType | null;
}

export const ProductConnection = Connection('Product', ProductType);
export const StockMovementConnection = Connection('StockMovement', StockMovementType);

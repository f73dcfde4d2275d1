import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { StockMovementKind } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Connection } from './connection';
import { FlashSaleType } from './flash-sale.type';

registerEnumType(StockMovementKind, { name: 'StockMovementKind' });

/** Relation and computed fields (owner, available, totalOrdered, stocks) come from ProductResolver. */
@ObjectType('Product')
export class ProductType {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => DecimalScalar)
  price!: string;

  @Field(() => String)
  category!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

/** `stocks` comes from WarehouseResolver. */
@ObjectType('Warehouse')
export class WarehouseType {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  location!: string;

  @Field(() => Date)
  createdAt!: Date;
}

/** warehouse, product, reserved (active holds) and available come from StockResolver. */
@ObjectType('Stock')
export class StockType {
  @Field(() => ID)
  id!: number;

  @Field(() => Int)
  onHand!: number;

  @Field(() => Int, { description: 'Bumped by every change; pass it as expectedVersion for a compare-and-set' })
  version!: number;

  @Field(() => Date)
  updatedAt!: Date;
}

/** stock, delta and actor come from StockMovementResolver. */
@ObjectType('StockMovement')
export class StockMovementType {
  @Field(() => ID)
  id!: number;

  @Field(() => StockMovementKind)
  kind!: StockMovementKind;

  @Field(() => Int, { description: 'Change of on-hand quantity' })
  onHandDelta!: number;

  @Field(() => Int, { description: 'Change of reserved quantity' })
  reservedDelta!: number;

  @Field(() => Int)
  onHandAfter!: number;

  @Field(() => Int)
  reservedAfter!: number;

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @Field(() => ID, { nullable: true })
  orderId?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'SALE: the price per unit paid (the flash sale\'s while one applied)' })
  unitPrice?: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('StockLevel')
export class StockLevelType {
  @Field(() => ID)
  productId!: number;

  @Field(() => Int)
  available!: number;

  @Field(() => FlashSaleType, {
    nullable: true,
    description: "The product's sale running now or next, else its latest (ENDED or CANCELLED): a change is pushed when a sale opens, its quota moves and it is over",
  })
  flashSale?: unknown;
}

@ObjectType('StockError')
export class StockErrorType {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType('StockResult', { description: 'One item of a bulk setStocks: either ok with the stock, or an error' })
export class StockResultType {
  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => StockType, { nullable: true })
  stock?: unknown;

  @Field(() => StockErrorType, { nullable: true })
  error?: StockErrorType | null;
}

export const ProductConnection = Connection('Product', ProductType);
export const StockMovementConnection = Connection('StockMovement', StockMovementType);

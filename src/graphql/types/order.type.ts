import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { OrderStatus } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Connection } from './connection';

registerEnumType(OrderStatus, { name: 'OrderStatus' });

/** items, total and expiresAt come from CartResolver. */
@ObjectType('Cart')
export class CartType {
  @Field(() => ID)
  id!: number;
}

/** product, subtotal and reservedUntil come from CartItemResolver. */
@ObjectType('CartItem')
export class CartItemType {
  @Field(() => ID)
  id!: number;

  @Field(() => Int)
  quantity!: number;

  @Field(() => DecimalScalar)
  unitPrice!: string;
}

/** lines come from OrderResolver. */
@ObjectType('Order')
export class OrderType {
  @Field(() => ID)
  id!: number;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => DecimalScalar)
  totalPrice!: string;

  @Field(() => DecimalScalar)
  shippingCost!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

/** product and warehouse come from OrderLineResolver. */
@ObjectType('OrderLine')
export class OrderLineType {
  @Field(() => ID)
  id!: number;

  @Field(() => Int)
  quantity!: number;

  @Field(() => DecimalScalar)
  unitPrice!: string;

  @Field(() => DecimalScalar)
  subtotal!: string;
}

export const OrderConnection = Connection('Order', OrderType);

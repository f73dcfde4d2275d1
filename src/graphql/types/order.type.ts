import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { PageDirection } from '../../db/pagination';
import { OrderStatus } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Connection } from './connection';

registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'Where an order is in its life: PENDING -> PROCESSED -> SHIPPED -> DELIVERED, or CANCELLED from PENDING or PROCESSED',
  valuesConfig: {
    PENDING: { description: 'Placed: its units left the stock; the buyer may still cancel it' },
    PROCESSED: { description: 'Being prepared; only an admin may cancel it' },
    SHIPPED: { description: 'On its way; can no longer be cancelled' },
    DELIVERED: { description: 'Arrived: the final status' },
    CANCELLED: { description: 'Cancelled: its units went back to the stock they came from' },
  },
});

/** How `orders` is sorted. Creation order is id order (ids grow with creation), so keyset paging by id serves both. */
export enum OrderSort {
  CREATED_AT_DESC = 'CREATED_AT_DESC',
  CREATED_AT_ASC = 'CREATED_AT_ASC',
}

registerEnumType(OrderSort, {
  name: 'OrderSort',
  description: 'The order of an orders list',
  valuesConfig: {
    CREATED_AT_DESC: { description: 'Newest first (the default)' },
    CREATED_AT_ASC: { description: 'Oldest first' },
  },
});

export function orderSortDirection(sort: OrderSort | null | undefined): PageDirection {
  return sort === OrderSort.CREATED_AT_ASC ? 'asc' : 'desc';
}

/** items, total and expiresAt come from CartResolver. */
@ObjectType('Cart', { description: 'The signed-in user\'s cart: its lines hold stock until they lapse' })
export class CartType {
  @Field(() => ID, { description: 'The cart id (one cart per user)' })
  id!: number;
}

/** product, subtotal and reservedUntil come from CartItemResolver. */
@ObjectType('CartItem', { description: 'One line of a cart: a product, a quantity and the stock held for it' })
export class CartItemType {
  @Field(() => ID, { description: 'The line id, for updateCartItem and removeFromCart' })
  id!: number;

  @Field(() => Int, { description: 'Units of the product in the line' })
  quantity!: number;

  @Field(() => DecimalScalar, { description: 'The product\'s current price' })
  unitPrice!: string;
}

/** lines come from OrderResolver. */
@ObjectType('Order', { description: 'A purchase (checkout or buyNow): its lines, prices and status' })
export class OrderType {
  @Field(() => ID, { description: 'The order id' })
  id!: number;

  @Field(() => OrderStatus, { description: 'Where the order is: PENDING -> PROCESSED -> SHIPPED -> DELIVERED, or CANCELLED' })
  status!: OrderStatus;

  @Field(() => DecimalScalar, { description: 'Sum of the line subtotals plus shippingCost' })
  totalPrice!: string;

  @Field(() => DecimalScalar, { description: 'The shipping cost given at checkout (0.00 for buyNow)' })
  shippingCost!: string;

  @Field(() => Date, { description: 'When the order was placed' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the status last changed' })
  updatedAt!: Date;
}

/** product and warehouse come from OrderLineResolver. */
@ObjectType('OrderLine', { description: 'One product of an order, from one warehouse' })
export class OrderLineType {
  @Field(() => ID, { description: 'The line id' })
  id!: number;

  @Field(() => Int, { description: 'Units bought' })
  quantity!: number;

  @Field(() => DecimalScalar, { description: 'The price charged per unit (the price at checkout)' })
  unitPrice!: string;

  @Field(() => DecimalScalar, { description: 'unitPrice x quantity' })
  subtotal!: string;
}

export const OrderConnection = Connection('Order', OrderType);

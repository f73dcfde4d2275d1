import { Field, ID, InputType, Int } from 'type-graphql';
import { BadUserInputError } from '../../common/errors';
import { MAX_LINE_QUANTITY } from '../../common/limits';
import { checkAll, requireId, requireIdempotencyKey, requireInt, requireMoney } from '../../common/validate';
import { OrderStatus } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';

@InputType({ description: 'Turns the cart into an order' })
export class CheckoutInput {
  @Field(() => String, { description: 'Chosen by the client (1-100 visible ASCII characters): a retry with the same key and input returns the same order' })
  idempotencyKey!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Defaults to "0.00"' })
  shippingCost?: string | null;
}

@InputType({ description: 'One product bought directly, without the cart' })
export class BuyNowInput {
  @Field(() => ID, { description: 'A live product of the catalog' })
  productId!: string;

  @Field(() => Int, { description: 'At most MAX_HOLD_PER_PRODUCT (10 unless configured)' })
  quantity!: number;

  @Field(() => String, { description: 'Chosen by the client (1-100 visible ASCII characters): a retry with the same key and input returns the same order' })
  idempotencyKey!: string;
}

@InputType({ description: 'An admin\'s status change of an order' })
export class UpdateOrderStatusInput {
  @Field(() => ID, { description: 'The order id' })
  id!: string;

  @Field(() => OrderStatus, { description: 'The new status; see Mutation.updateOrderStatus for the allowed transitions' })
  status!: OrderStatus;
}

export function parseCheckout(input: CheckoutInput): { idempotencyKey: string; shippingCost: string } {
  return checkAll({
    idempotencyKey: () => requireIdempotencyKey('idempotencyKey', input.idempotencyKey),
    shippingCost: () => requireMoney('shippingCost', input.shippingCost ?? '0.00'),
  }, 'input');
}

export function parseBuyNow(input: BuyNowInput): { productId: number; quantity: number; idempotencyKey: string } {
  return checkAll({
    productId: () => requireId('productId', input.productId),
    quantity: () => requireInt('quantity', input.quantity, { min: 1, max: MAX_LINE_QUANTITY }),
    idempotencyKey: () => requireIdempotencyKey('idempotencyKey', input.idempotencyKey),
  }, 'input');
}

export function parseUpdateOrderStatus(input: UpdateOrderStatusInput): { id: number; status: OrderStatus } {
  return checkAll({
    id: () => requireId('id', input.id),
    status: () => {
      if (!Object.values(OrderStatus).includes(input.status)) throw new BadUserInputError('status', 'status is not an order status');
      return input.status;
    },
  }, 'input');
}

import { Field, ID, InputType, Int } from 'type-graphql';
import { OrderStatus } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';

@InputType()
export class CheckoutInput {
  @Field(() => String, { description: 'Chosen by the client (1-100 visible ASCII characters): a retry with the same key and input returns the same order' })
  idempotencyKey!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Defaults to "0.00"' })
  shippingCost?: string | null;
}

@InputType()
export class BuyNowInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int, { description: 'At most MAX_HOLD_PER_PRODUCT (10 unless configured)' })
  quantity!: number;

  @Field(() => String)
  idempotencyKey!: string;
}

@InputType()
export class UpdateOrderStatusInput {
  @Field(() => ID)
  id!: string;

  @Field(() => OrderStatus)
  status!: OrderStatus;
}

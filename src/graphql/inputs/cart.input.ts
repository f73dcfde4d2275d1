import { Field, ID, InputType, Int } from 'type-graphql';

@InputType()
export class AddToCartInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int, { description: 'Units to add; they are held until the line\'s reservedUntil. A line holds at most MAX_HOLD_PER_PRODUCT units (10 unless configured)' })
  quantity!: number;
}

@InputType()
export class UpdateCartItemInput {
  @Field(() => ID)
  itemId!: string;

  @Field(() => Int, { description: 'The new quantity of the line (0 removes it), at most MAX_HOLD_PER_PRODUCT (10 unless configured)' })
  quantity!: number;
}

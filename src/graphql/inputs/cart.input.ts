import { Field, ID, InputType, Int } from 'type-graphql';
import { MAX_LINE_QUANTITY } from '../../common/limits';
import { requireId, requireInt } from '../../common/validate';

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

export function parseAddToCart(input: AddToCartInput): { productId: number; quantity: number } {
  return { productId: requireId('productId', input.productId), quantity: requireInt('quantity', input.quantity, { min: 1, max: MAX_LINE_QUANTITY }) };
}

export function parseUpdateCartItem(input: UpdateCartItemInput): { itemId: number; quantity: number } {
  return { itemId: requireId('itemId', input.itemId), quantity: requireInt('quantity', input.quantity, { min: 0, max: MAX_LINE_QUANTITY }) };
}

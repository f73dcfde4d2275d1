import { Field, ID, InputType, Int } from 'type-graphql';
import { MAX_LINE_QUANTITY } from '../../common/limits';
import { checkAll, requireId, requireInt } from '../../common/validate';

@InputType({ description: 'Units of a product to add to the cart' })
export class AddToCartInput {
  @Field(() => ID, { description: 'A live product of the catalog' })
  productId!: string;

  @Field(() => Int, { description: 'Units to add; they are held until the line\'s reservedUntil. A line holds at most MAX_HOLD_PER_PRODUCT units (10 unless configured)' })
  quantity!: number;
}

@InputType({ description: 'A new quantity for one cart line' })
export class UpdateCartItemInput {
  @Field(() => ID, { description: 'A line of your cart (CartItem.id)' })
  itemId!: string;

  @Field(() => Int, { description: 'The new quantity of the line (0 removes it), at most MAX_HOLD_PER_PRODUCT (10 unless configured)' })
  quantity!: number;
}

export function parseAddToCart(input: AddToCartInput): { productId: number; quantity: number } {
  return checkAll({ productId: () => requireId('productId', input.productId), quantity: () => requireInt('quantity', input.quantity, { min: 1, max: MAX_LINE_QUANTITY }) }, 'input');
}

export function parseUpdateCartItem(input: UpdateCartItemInput): { itemId: number; quantity: number } {
  return checkAll({ itemId: () => requireId('itemId', input.itemId), quantity: () => requireInt('quantity', input.quantity, { min: 0, max: MAX_LINE_QUANTITY }) }, 'input');
}

import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { AddToCartInput, UpdateCartItemInput } from '../graphql/inputs/cart.input';
import { DecimalScalar } from '../graphql/scalars/decimal.scalar';
import { ProductType } from '../graphql/types/catalog.type';
import { CartItemType, CartType } from '../graphql/types/order.type';
import type { CartItemView, CartView } from '../services/cart.service';

@Resolver(() => CartType)
export class CartResolver {
  @Query(() => CartType, { description: "The signed-in user's cart (created on first use)" })
  cart(@Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.getCart(ctx);
  }

  @Mutation(() => CartType, { description: 'Adds units to the cart and holds the stock until reservedUntil' })
  addToCart(@Arg('input', () => AddToCartInput) input: AddToCartInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.addToCart(ctx, input);
  }

  @Mutation(() => CartType, { description: 'Sets the quantity of a line (0 removes it), holding or releasing stock' })
  updateCartItem(@Arg('input', () => UpdateCartItemInput) input: UpdateCartItemInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.updateCartItem(ctx, input);
  }

  @Mutation(() => CartType, { description: 'Removes a line and releases its holds' })
  removeFromCart(@Arg('itemId', () => ID) itemId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.removeFromCart(ctx, itemId);
  }

  @Mutation(() => CartType, { description: 'Empties the cart and releases every hold' })
  clearCart(@Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.clearCart(ctx);
  }

  @FieldResolver(() => [CartItemType])
  items(@Root() cart: CartView, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.items(ctx, cart);
  }

  @FieldResolver(() => DecimalScalar, { description: 'Sum of the line subtotals at current prices' })
  total(@Root() cart: CartView, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.total(ctx, cart);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When the first hold of the cart lapses (earliest reservedUntil)' })
  expiresAt(@Root() cart: CartView, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.expiresAt(ctx, cart);
  }
}

@Resolver(() => CartItemType)
export class CartItemResolver {
  @FieldResolver(() => ProductType)
  product(@Root() item: CartItemView, @Ctx() ctx: GraphQLContext) {
    return ctx.services.carts.product(ctx, item);
  }

  @FieldResolver(() => DecimalScalar, { description: 'unitPrice × quantity' })
  subtotal(@Root() item: CartItemView) {
    return item.subtotal;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Until when the stock of this line is held; null once its holds lapsed and were released' })
  reservedUntil(@Root() item: CartItemView) {
    return item.reservedUntil;
  }
}

import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireId } from '../common/validate';
import type { GraphQLContext } from '../graphql/context';
import { AddToCartInput, parseAddToCart, parseUpdateCartItem, UpdateCartItemInput } from '../graphql/inputs/cart.input';
import { DecimalScalar } from '../graphql/scalars/decimal.scalar';
import { selectsOnly } from '../graphql/selection';
import { ProductType } from '../graphql/types/catalog.type';
import type { Order } from '../entities';
import { CartItemType, CartType, OrderType } from '../graphql/types/order.type';
import type { CartAnswer, CartLine, CartRef, CartService } from '../services/cart.service';

const ID_ONLY = new Set(['id']);

/** A cart mutation reads the cart's contents with its COMMIT only when its answer selects them. */
const answerOf = (info: GraphQLResolveInfo): CartAnswer => ({ contents: !selectsOnly(info, ID_ONLY) });

@Resolver(() => CartType)
export class CartResolver {
  constructor(private readonly carts: CartService) {}

  @Authorized()
  @Query(() => CartType, { description: "The signed-in user's cart (created on first use)" })
  cart(@Ctx() ctx: GraphQLContext) {
    return this.carts.getCart(ctx);
  }

  @Authorized()
  @Mutation(() => CartType, { description: 'Adds units to the cart and holds the stock until reservedUntil' })
  addToCart(@Arg('input', () => AddToCartInput, { description: 'The product and how many units' }) input: AddToCartInput, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return this.carts.addToCart(ctx, parseAddToCart(input), answerOf(info));
  }

  @Authorized()
  @Mutation(() => CartType, { description: 'Sets the quantity of a line (0 removes it), holding or releasing stock' })
  updateCartItem(@Arg('input', () => UpdateCartItemInput, { description: 'The line and its new quantity' }) input: UpdateCartItemInput, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return this.carts.updateCartItem(ctx, parseUpdateCartItem(input), answerOf(info));
  }

  @Authorized()
  @Mutation(() => CartType, { description: 'Removes a line and releases its holds' })
  removeFromCart(@Arg('itemId', () => ID, { description: 'A line of your cart (CartItem.id)' }) itemId: string, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return this.carts.removeFromCart(ctx, requireId('itemId', itemId), answerOf(info));
  }

  @Authorized()
  @Mutation(() => CartType, { description: 'Empties the cart and releases every hold' })
  clearCart(@Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return this.carts.clearCart(ctx, answerOf(info));
  }

  @FieldResolver(() => [CartItemType], { description: 'The lines, oldest first' })
  async items(@Root() cart: CartRef, @Ctx() ctx: GraphQLContext) {
    return (await this.carts.contentsOf(ctx, cart)).lines;
  }

  @FieldResolver(() => DecimalScalar, { description: 'Sum of the line subtotals at current prices' })
  async total(@Root() cart: CartRef, @Ctx() ctx: GraphQLContext) {
    return (await this.carts.contentsOf(ctx, cart)).total;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When the first hold of the cart lapses (earliest reservedUntil)' })
  async expiresAt(@Root() cart: CartRef, @Ctx() ctx: GraphQLContext) {
    return (await this.carts.contentsOf(ctx, cart)).expiresAt;
  }
}

@Resolver(() => CartItemType)
export class CartItemResolver {
  @FieldResolver(() => ProductType, { description: 'The product of the line' })
  product(@Root() line: CartLine) {
    return line.product;
  }

  @FieldResolver(() => DecimalScalar, { description: 'unitPrice × quantity' })
  subtotal(@Root() line: CartLine) {
    return line.subtotal;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'Until when the stock of this line is held; null once its holds lapsed and were released' })
  reservedUntil(@Root() line: CartLine) {
    return line.reservedUntil;
  }
}

@Resolver(() => OrderType)
export class OrderCartResolver {
  constructor(private readonly carts: CartService) {}

  @FieldResolver(() => CartType, {
    nullable: true,
    description:
      "The buyer's cart as it is now (null for anyone but the buyer). Select it in checkout, e.g. `cart { id items { id } total }`, and a normalising client cache shows the emptied cart without another request",
  })
  cart(@Root() order: Order, @Ctx() ctx: GraphQLContext) {
    return this.carts.buyerCartOf(ctx, order);
  }
}

import type { GraphQLSchema } from 'graphql';
import { buildAppSchema } from '../src/graphql/schema';

/**
 * The GraphQL documents the benchmark sends. Argument type names are read from the schema this
 * build emits (so `BuyNowInput!` vs `BuyInput!` cannot silently break the bench), and an operation
 * that the schema does not have yet is reported as unavailable instead of failing the run.
 */

/**
 * The L4 baseline: a query that every GraphQL schema answers without running a resolver of ours.
 * Sent with a buyer's token, it pays what every request pays (HTTP, parsing, validation, the
 * context build with its token check) and nothing else, so the product needs no endpoint that
 * exists only for the benchmark.
 */
const BASELINE_QUERY = '{ __typename }';

export interface Operations {
  /** The L4 baseline document (always available). */
  baseline: string;
  buyNow?: string;
  addToCart?: string;
  checkout?: string;
  updateCartItem?: string;
  removeFromCart?: string;
  clearCart?: string;
  missing: string[];
}

function argType(schema: GraphQLSchema, mutation: string, arg: string): string | null {
  const field = schema.getMutationType()?.getFields()[mutation];
  const found = field?.args.find((a) => a.name === arg);
  return found ? found.type.toString() : null;
}

const CART_SELECTION = '{ id items { id quantity product { id } } }';
const ORDER_SELECTION = '{ id status totalPrice }';

export async function loadOperations(): Promise<Operations> {
  const schema = await buildAppSchema();
  const missing: string[] = [];
  const op = (mutation: string, arg: string | null, selection: string): string | undefined => {
    if (!schema.getMutationType()?.getFields()[mutation]) {
      missing.push(mutation);
      return undefined;
    }
    if (arg === null) return `mutation ${mutation[0].toUpperCase()}${mutation.slice(1)} { ${mutation} ${selection} }`;
    const type = argType(schema, mutation, arg);
    if (!type) {
      missing.push(`${mutation}(${arg})`);
      return undefined;
    }
    return `mutation ${mutation[0].toUpperCase()}${mutation.slice(1)}($${arg}: ${type}) { ${mutation}(${arg}: $${arg}) ${selection} }`;
  };
  return {
    baseline: BASELINE_QUERY,
    buyNow: op('buyNow', 'input', ORDER_SELECTION),
    addToCart: op('addToCart', 'input', CART_SELECTION),
    checkout: op('checkout', 'input', ORDER_SELECTION),
    updateCartItem: op('updateCartItem', 'input', CART_SELECTION),
    removeFromCart: op('removeFromCart', 'itemId', CART_SELECTION),
    clearCart: op('clearCart', null, '{ id }'),
    missing,
  };
}

export interface CartLine {
  itemId: string;
  productId: string;
  quantity: number;
}

/** Cart lines from an addToCart / updateCartItem / removeFromCart response. */
export function cartLines(data: Record<string, unknown> | null, field: string): CartLine[] | null {
  const cart = data?.[field] as { items?: { id: string; quantity: number; product?: { id: string } }[] } | undefined;
  if (!cart?.items) return null;
  return cart.items.map((i) => ({ itemId: String(i.id), productId: String(i.product?.id), quantity: i.quantity }));
}

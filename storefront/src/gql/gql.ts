/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment Viewer on User {\n  id\n  name\n  email\n  totpEnabled\n}\n\nquery Me {\n  me {\n    ...Viewer\n  }\n}\n\nmutation SignUp($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}\n\nmutation SignIn($input: LoginInput!) {\n  login(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}": typeof types.ViewerFragmentDoc,
    "fragment CartView on Cart {\n  id\n  total\n  expiresAt\n  items {\n    id\n    quantity\n    unitPrice\n    subtotal\n    reservedUntil\n    product {\n      id\n      name\n      available\n    }\n  }\n}\n\nquery Cart {\n  cart {\n    ...CartView\n  }\n}\n\nmutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    ...CartView\n  }\n}\n\nmutation UpdateCartItem($input: UpdateCartItemInput!) {\n  updateCartItem(input: $input) {\n    ...CartView\n  }\n}\n\nmutation RemoveFromCart($itemId: ID!) {\n  removeFromCart(itemId: $itemId) {\n    ...CartView\n  }\n}": typeof types.CartViewFragmentDoc,
    "fragment SaleInfo on FlashSale {\n  id\n  status\n  salePrice\n  startsAt\n  endsAt\n  quotaRemaining\n  perBuyerLimit\n}\n\nfragment ProductCard on Product {\n  id\n  name\n  price\n  category\n  available\n  flashSale {\n    ...SaleInfo\n  }\n}\n\nquery Products($first: Int!, $after: String) {\n  products(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...ProductCard\n      }\n    }\n  }\n}\n\nquery ProductDetail($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n    description\n  }\n}\n\nsubscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    productId\n    available\n    flashSale {\n      ...SaleInfo\n    }\n  }\n}": typeof types.SaleInfoFragmentDoc,
    "fragment OrderView on Order {\n  id\n  status\n  totalPrice\n  shippingCost\n  createdAt\n  lines {\n    id\n    quantity\n    unitPrice\n    subtotal\n    product {\n      id\n      name\n    }\n  }\n}\n\nquery MyOrders($first: Int!, $after: String) {\n  orders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...OrderView\n      }\n    }\n  }\n}\n\nmutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation BuyNow($input: BuyNowInput!) {\n  buyNow(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation CancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    ...OrderView\n  }\n}": typeof types.OrderViewFragmentDoc,
};
const documents: Documents = {
    "fragment Viewer on User {\n  id\n  name\n  email\n  totpEnabled\n}\n\nquery Me {\n  me {\n    ...Viewer\n  }\n}\n\nmutation SignUp($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}\n\nmutation SignIn($input: LoginInput!) {\n  login(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}": types.ViewerFragmentDoc,
    "fragment CartView on Cart {\n  id\n  total\n  expiresAt\n  items {\n    id\n    quantity\n    unitPrice\n    subtotal\n    reservedUntil\n    product {\n      id\n      name\n      available\n    }\n  }\n}\n\nquery Cart {\n  cart {\n    ...CartView\n  }\n}\n\nmutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    ...CartView\n  }\n}\n\nmutation UpdateCartItem($input: UpdateCartItemInput!) {\n  updateCartItem(input: $input) {\n    ...CartView\n  }\n}\n\nmutation RemoveFromCart($itemId: ID!) {\n  removeFromCart(itemId: $itemId) {\n    ...CartView\n  }\n}": types.CartViewFragmentDoc,
    "fragment SaleInfo on FlashSale {\n  id\n  status\n  salePrice\n  startsAt\n  endsAt\n  quotaRemaining\n  perBuyerLimit\n}\n\nfragment ProductCard on Product {\n  id\n  name\n  price\n  category\n  available\n  flashSale {\n    ...SaleInfo\n  }\n}\n\nquery Products($first: Int!, $after: String) {\n  products(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...ProductCard\n      }\n    }\n  }\n}\n\nquery ProductDetail($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n    description\n  }\n}\n\nsubscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    productId\n    available\n    flashSale {\n      ...SaleInfo\n    }\n  }\n}": types.SaleInfoFragmentDoc,
    "fragment OrderView on Order {\n  id\n  status\n  totalPrice\n  shippingCost\n  createdAt\n  lines {\n    id\n    quantity\n    unitPrice\n    subtotal\n    product {\n      id\n      name\n    }\n  }\n}\n\nquery MyOrders($first: Int!, $after: String) {\n  orders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...OrderView\n      }\n    }\n  }\n}\n\nmutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation BuyNow($input: BuyNowInput!) {\n  buyNow(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation CancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    ...OrderView\n  }\n}": types.OrderViewFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment Viewer on User {\n  id\n  name\n  email\n  totpEnabled\n}\n\nquery Me {\n  me {\n    ...Viewer\n  }\n}\n\nmutation SignUp($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}\n\nmutation SignIn($input: LoginInput!) {\n  login(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}"): (typeof documents)["fragment Viewer on User {\n  id\n  name\n  email\n  totpEnabled\n}\n\nquery Me {\n  me {\n    ...Viewer\n  }\n}\n\nmutation SignUp($input: RegisterInput!) {\n  register(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}\n\nmutation SignIn($input: LoginInput!) {\n  login(input: $input) {\n    token\n    user {\n      ...Viewer\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment CartView on Cart {\n  id\n  total\n  expiresAt\n  items {\n    id\n    quantity\n    unitPrice\n    subtotal\n    reservedUntil\n    product {\n      id\n      name\n      available\n    }\n  }\n}\n\nquery Cart {\n  cart {\n    ...CartView\n  }\n}\n\nmutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    ...CartView\n  }\n}\n\nmutation UpdateCartItem($input: UpdateCartItemInput!) {\n  updateCartItem(input: $input) {\n    ...CartView\n  }\n}\n\nmutation RemoveFromCart($itemId: ID!) {\n  removeFromCart(itemId: $itemId) {\n    ...CartView\n  }\n}"): (typeof documents)["fragment CartView on Cart {\n  id\n  total\n  expiresAt\n  items {\n    id\n    quantity\n    unitPrice\n    subtotal\n    reservedUntil\n    product {\n      id\n      name\n      available\n    }\n  }\n}\n\nquery Cart {\n  cart {\n    ...CartView\n  }\n}\n\nmutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    ...CartView\n  }\n}\n\nmutation UpdateCartItem($input: UpdateCartItemInput!) {\n  updateCartItem(input: $input) {\n    ...CartView\n  }\n}\n\nmutation RemoveFromCart($itemId: ID!) {\n  removeFromCart(itemId: $itemId) {\n    ...CartView\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment SaleInfo on FlashSale {\n  id\n  status\n  salePrice\n  startsAt\n  endsAt\n  quotaRemaining\n  perBuyerLimit\n}\n\nfragment ProductCard on Product {\n  id\n  name\n  price\n  category\n  available\n  flashSale {\n    ...SaleInfo\n  }\n}\n\nquery Products($first: Int!, $after: String) {\n  products(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...ProductCard\n      }\n    }\n  }\n}\n\nquery ProductDetail($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n    description\n  }\n}\n\nsubscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    productId\n    available\n    flashSale {\n      ...SaleInfo\n    }\n  }\n}"): (typeof documents)["fragment SaleInfo on FlashSale {\n  id\n  status\n  salePrice\n  startsAt\n  endsAt\n  quotaRemaining\n  perBuyerLimit\n}\n\nfragment ProductCard on Product {\n  id\n  name\n  price\n  category\n  available\n  flashSale {\n    ...SaleInfo\n  }\n}\n\nquery Products($first: Int!, $after: String) {\n  products(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...ProductCard\n      }\n    }\n  }\n}\n\nquery ProductDetail($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n    description\n  }\n}\n\nsubscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    productId\n    available\n    flashSale {\n      ...SaleInfo\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment OrderView on Order {\n  id\n  status\n  totalPrice\n  shippingCost\n  createdAt\n  lines {\n    id\n    quantity\n    unitPrice\n    subtotal\n    product {\n      id\n      name\n    }\n  }\n}\n\nquery MyOrders($first: Int!, $after: String) {\n  orders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...OrderView\n      }\n    }\n  }\n}\n\nmutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation BuyNow($input: BuyNowInput!) {\n  buyNow(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation CancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    ...OrderView\n  }\n}"): (typeof documents)["fragment OrderView on Order {\n  id\n  status\n  totalPrice\n  shippingCost\n  createdAt\n  lines {\n    id\n    quantity\n    unitPrice\n    subtotal\n    product {\n      id\n      name\n    }\n  }\n}\n\nquery MyOrders($first: Int!, $after: String) {\n  orders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      endCursor\n      hasNextPage\n    }\n    edges {\n      node {\n        ...OrderView\n      }\n    }\n  }\n}\n\nmutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation BuyNow($input: BuyNowInput!) {\n  buyNow(input: $input) {\n    ...OrderView\n  }\n}\n\nmutation CancelOrder($id: ID!) {\n  cancelOrder(id: $id) {\n    ...OrderView\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
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
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          price\n          available\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ProductsDocument,
    "\n  query Cart {\n    cart {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.CartDocument,
    "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.AddToCartDocument,
    "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n      cart {\n        id\n        total\n        items {\n          id\n        }\n      }\n    }\n  }\n": typeof types.CheckoutDocument,
    "\n  mutation BuyNow($input: BuyNowInput!) {\n    buyNow(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n    }\n  }\n": typeof types.BuyNowDocument,
    "\n  subscription StockChanged($productId: ID!) {\n    stockChanged(productId: $productId) {\n      productId\n      available\n      product {\n        id\n        available\n      }\n    }\n  }\n": typeof types.StockChangedDocument,
};
const documents: Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          price\n          available\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ProductsDocument,
    "\n  query Cart {\n    cart {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.CartDocument,
    "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.AddToCartDocument,
    "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n      cart {\n        id\n        total\n        items {\n          id\n        }\n      }\n    }\n  }\n": types.CheckoutDocument,
    "\n  mutation BuyNow($input: BuyNowInput!) {\n    buyNow(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n    }\n  }\n": types.BuyNowDocument,
    "\n  subscription StockChanged($productId: ID!) {\n    stockChanged(productId: $productId) {\n      productId\n      available\n      product {\n        id\n        available\n      }\n    }\n  }\n": types.StockChangedDocument,
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
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          price\n          available\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Products($first: Int, $after: String) {\n    products(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          price\n          available\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cart {\n    cart {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Cart {\n    cart {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AddToCart($input: AddToCartInput!) {\n    addToCart(input: $input) {\n      id\n      total\n      items {\n        id\n        quantity\n        product {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n      cart {\n        id\n        total\n        items {\n          id\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n      cart {\n        id\n        total\n        items {\n          id\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BuyNow($input: BuyNowInput!) {\n    buyNow(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation BuyNow($input: BuyNowInput!) {\n    buyNow(input: $input) {\n      id\n      status\n      totalPrice\n      lines {\n        id\n        quantity\n        product {\n          id\n          available\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StockChanged($productId: ID!) {\n    stockChanged(productId: $productId) {\n      productId\n      available\n      product {\n        id\n        available\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription StockChanged($productId: ID!) {\n    stockChanged(productId: $productId) {\n      productId\n      available\n      product {\n        id\n        available\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
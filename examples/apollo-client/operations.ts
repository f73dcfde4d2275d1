/**
 * The operations of the Apollo Client example, typed by codegen's client preset (`npm run codegen`
 * writes ./gql from these `graphql()` calls and schema.graphql).
 */
import { graphql } from './gql';

export const LOGIN = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      user {
        id
        name
      }
    }
  }
`);

export const PRODUCTS = graphql(`
  query Products($first: Int, $after: String) {
    products(first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          id
          name
          price
          available
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CART = graphql(`
  query Cart {
    cart {
      id
      total
      items {
        id
        quantity
        product {
          id
          name
        }
      }
    }
  }
`);

export const ADD_TO_CART = graphql(`
  mutation AddToCart($input: AddToCartInput!) {
    addToCart(input: $input) {
      id
      total
      items {
        id
        quantity
        product {
          id
          name
        }
      }
    }
  }
`);

/** `cart` is the buyer's cart after the order (empty): Apollo writes it over the cached Cart. */
export const CHECKOUT = graphql(`
  mutation Checkout($input: CheckoutInput!) {
    checkout(input: $input) {
      id
      status
      totalPrice
      lines {
        id
        quantity
        product {
          id
          available
        }
      }
      cart {
        id
        total
        items {
          id
        }
      }
    }
  }
`);

/** buyNow leaves the cart alone; its lines bring the product's new `available` into the cache. */
export const BUY_NOW = graphql(`
  mutation BuyNow($input: BuyNowInput!) {
    buyNow(input: $input) {
      id
      status
      totalPrice
      lines {
        id
        quantity
        product {
          id
          available
        }
      }
    }
  }
`);

/** `product { id available }` is what keeps the cached Product current. */
export const STOCK_CHANGED = graphql(`
  subscription StockChanged($productId: ID!) {
    stockChanged(productId: $productId) {
      productId
      available
      product {
        id
        available
      }
    }
  }
`);

/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** A new flash sale of one product */
export type CreateFlashSaleInput = {
  /** End (exclusive), after startsAt */
  endsAt: string;
  /** Units per buyer over the whole sale (1-10000); no limit when omitted */
  perBuyerLimit?: number | null | undefined;
  /** The product on sale: one of the caller's (any, for an admin) */
  productId: string | number;
  /** Units at the sale price over the whole sale (1-1000000000); no quota when omitted */
  quota?: number | null | undefined;
  /** Sell at the regular price before the start and once the quota is gone (default false: sale-only) */
  regularPriceAllowed?: boolean | null | undefined;
  /** Price per unit while the sale runs and its quota lasts, a decimal string such as "9.99" */
  salePrice: string;
  /** Start (inclusive), compared with the database clock */
  startsAt: string;
};

/** Where a sale stands by the database clock */
export type FlashSaleStatus =
  /** Ended early by cancelFlashSale */
  | 'CANCELLED'
  /** Its end has passed */
  | 'ENDED'
  /** Between its start (inclusive) and its end (exclusive), not cancelled */
  | 'RUNNING'
  /** Announced: its start is still ahead */
  | 'UPCOMING';

/** Only the fields given are changed; quota and perBuyerLimit null remove them (before the start only) */
export type UpdateFlashSaleInput = {
  /** A new end (exclusive); omitted: unchanged */
  endsAt?: string | null | undefined;
  /** A new per-buyer limit (1-10000); null removes it; omitted: unchanged */
  perBuyerLimit?: number | null | undefined;
  /** A new quota (1-1000000000); null removes it; omitted: unchanged */
  quota?: number | null | undefined;
  /** Whether the product sells at its regular price before the start and once the quota is gone; omitted: unchanged */
  regularPriceAllowed?: boolean | null | undefined;
  /** A new sale price; omitted: unchanged */
  salePrice?: string | null | undefined;
  /** A new start (inclusive); omitted: unchanged */
  startsAt?: string | null | undefined;
};

export type FlashSaleFieldsFragment = { id: string, salePrice: string, startsAt: string, endsAt: string, quota: number | null, quotaRemaining: number | null, perBuyerLimit: number | null, regularPriceAllowed: boolean, status: FlashSaleStatus, cancelledAt: string | null };

export type CreateFlashSaleMutationVariables = Exact<{
  input: CreateFlashSaleInput;
}>;


export type CreateFlashSaleMutation = { createFlashSale: { id: string, salePrice: string, startsAt: string, endsAt: string, quota: number | null, quotaRemaining: number | null, perBuyerLimit: number | null, regularPriceAllowed: boolean, status: FlashSaleStatus, cancelledAt: string | null, product: { id: string } } };

export type UpdateFlashSaleMutationVariables = Exact<{
  id: string | number;
  input: UpdateFlashSaleInput;
}>;


export type UpdateFlashSaleMutation = { updateFlashSale: { id: string, salePrice: string, startsAt: string, endsAt: string, quota: number | null, quotaRemaining: number | null, perBuyerLimit: number | null, regularPriceAllowed: boolean, status: FlashSaleStatus, cancelledAt: string | null } };

export type CancelFlashSaleMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelFlashSaleMutation = { cancelFlashSale: { id: string, salePrice: string, startsAt: string, endsAt: string, quota: number | null, quotaRemaining: number | null, perBuyerLimit: number | null, regularPriceAllowed: boolean, status: FlashSaleStatus, cancelledAt: string | null } };

export type FlashSalesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  activeAt?: string | null | undefined;
}>;


export type FlashSalesQuery = { flashSales: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, salePrice: string, startsAt: string, endsAt: string, quota: number | null, quotaRemaining: number | null, perBuyerLimit: number | null, regularPriceAllowed: boolean, status: FlashSaleStatus, cancelledAt: string | null, product: { id: string } } }> } };

export type ProductSaleQueryVariables = Exact<{
  id: string | number;
}>;


export type ProductSaleQuery = { product: { id: string, price: string, currentPrice: string, available: number, flashSale: { id: string, salePrice: string, startsAt: string, endsAt: string, quota: number | null, quotaRemaining: number | null, perBuyerLimit: number | null, regularPriceAllowed: boolean, status: FlashSaleStatus, cancelledAt: string | null } | null, flashSales: Array<{ id: string, status: FlashSaleStatus }> } | null };

export const FlashSaleFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"FlashSaleFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FlashSale"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"salePrice"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"quota"}},{"kind":"Field","name":{"kind":"Name","value":"quotaRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"perBuyerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"regularPriceAllowed"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledAt"}}]}}]} as unknown as DocumentNode<FlashSaleFieldsFragment, unknown>;
export const CreateFlashSaleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateFlashSale"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateFlashSaleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createFlashSale"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"FlashSaleFields"}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"FlashSaleFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FlashSale"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"salePrice"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"quota"}},{"kind":"Field","name":{"kind":"Name","value":"quotaRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"perBuyerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"regularPriceAllowed"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledAt"}}]}}]} as unknown as DocumentNode<CreateFlashSaleMutation, CreateFlashSaleMutationVariables>;
export const UpdateFlashSaleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateFlashSale"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateFlashSaleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateFlashSale"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"FlashSaleFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"FlashSaleFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FlashSale"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"salePrice"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"quota"}},{"kind":"Field","name":{"kind":"Name","value":"quotaRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"perBuyerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"regularPriceAllowed"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledAt"}}]}}]} as unknown as DocumentNode<UpdateFlashSaleMutation, UpdateFlashSaleMutationVariables>;
export const CancelFlashSaleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelFlashSale"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelFlashSale"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"FlashSaleFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"FlashSaleFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FlashSale"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"salePrice"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"quota"}},{"kind":"Field","name":{"kind":"Name","value":"quotaRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"perBuyerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"regularPriceAllowed"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledAt"}}]}}]} as unknown as DocumentNode<CancelFlashSaleMutation, CancelFlashSaleMutationVariables>;
export const FlashSalesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FlashSales"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"activeAt"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"flashSales"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"activeAt"},"value":{"kind":"Variable","name":{"kind":"Name","value":"activeAt"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"FlashSaleFields"}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"FlashSaleFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FlashSale"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"salePrice"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"quota"}},{"kind":"Field","name":{"kind":"Name","value":"quotaRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"perBuyerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"regularPriceAllowed"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledAt"}}]}}]} as unknown as DocumentNode<FlashSalesQuery, FlashSalesQueryVariables>;
export const ProductSaleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProductSale"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"product"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"currentPrice"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"flashSale"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"FlashSaleFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"flashSales"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"FlashSaleFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FlashSale"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"salePrice"}},{"kind":"Field","name":{"kind":"Name","value":"startsAt"}},{"kind":"Field","name":{"kind":"Name","value":"endsAt"}},{"kind":"Field","name":{"kind":"Name","value":"quota"}},{"kind":"Field","name":{"kind":"Name","value":"quotaRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"perBuyerLimit"}},{"kind":"Field","name":{"kind":"Name","value":"regularPriceAllowed"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"cancelledAt"}}]}}]} as unknown as DocumentNode<ProductSaleQuery, ProductSaleQueryVariables>;
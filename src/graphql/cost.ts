import {
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isLeafType,
  isListType,
  isObjectType,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_NESTED_PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_BULK_ITEMS, MAX_PAGE_SIZE } from '../common/limits';

/**
 * How many items a sized field can return:
 * - `page`: its `first` argument, literal or variable (`defaultSize` when omitted, MAX_PAGE_SIZE at most);
 * - `input`: the length of an input list argument;
 * - `declared`: a list without arguments, priced at a declared size (the result cap bounds it for real);
 * - `inPage`: the edges of a connection, already counted by the connection's `first`.
 */
type Size = { kind: 'page'; defaultSize: number } | { kind: 'input'; arg: string; max: number } | { kind: 'declared'; size: number } | { kind: 'inPage' };

const CONNECTION: Size = { kind: 'page', defaultSize: DEFAULT_PAGE_SIZE };
const NESTED_PAGE: Size = { kind: 'page', defaultSize: DEFAULT_NESTED_PAGE_SIZE };
const EDGES: Size = { kind: 'inPage' };
/** Warehouses of one owner, lines of one cart or order: priced at 5 items each (more is rare; the result cap bounds the rest). */
const UNPAGED: Size = { kind: 'declared', size: 5 };

/** Every list field of the schema and every field with `first`: `checkEveryListSized` refuses to start without. */
const SIZES: Record<string, Size> = {
  'Query.products': CONNECTION,
  'Query.orders': CONNECTION,
  'Query.stockMovements': CONNECTION,
  'ProductConnection.edges': EDGES,
  'OrderConnection.edges': EDGES,
  'StockMovementConnection.edges': EDGES,
  'Warehouse.stocks': NESTED_PAGE,
  'Product.stocks': NESTED_PAGE,
  'Mutation.setStocks': { kind: 'input', arg: 'input', max: MAX_BULK_ITEMS },
  // The caller's own warehouses, cart lines and order lines: no page arguments (yet).
  'Query.warehouses': UNPAGED,
  'Cart.items': UNPAGED,
  'Order.lines': UNPAGED,
  'Query.flashSales': CONNECTION,
  'FlashSaleConnection.edges': EDGES,
  // At most 50 (newest first); usually one or two.
  'Product.flashSales': UNPAGED,
};

/**
 * What is priced is what the server fetches: objects and list items. A scalar is free (it comes
 * with its row; width is bounded by the token limit and the result cap); an object field costs 1
 * plus its selection; a sized field costs 1 plus n × (ITEM_COST + the selection of one item).
 */
const FIELD_COST = 1;
const ITEM_COST = 2;

function itemsOf(size: Exclude<Size, { kind: 'inPage' }>, args: Record<string, unknown>): number {
  switch (size.kind) {
    case 'page': {
      const first = args.first;
      if (first === undefined || first === null) return size.defaultSize;
      // Outside 1..100 the resolver refuses it with BAD_USER_INPUT; priced at the most it could be.
      return Number.isInteger(first) && (first as number) >= 1 && (first as number) <= MAX_PAGE_SIZE ? (first as number) : MAX_PAGE_SIZE;
    }
    case 'input': {
      const list = args[size.arg];
      return Array.isArray(list) ? Math.min(Math.max(list.length, 1), size.max) : 1;
    }
    case 'declared':
      return size.size;
  }
}

const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const size = SIZES[`${type.name}.${field.name}`];
  if (!size) return isLeafType(getNamedType(field.type)) ? 0 : FIELD_COST + childComplexity;
  if (size.kind === 'inPage') return FIELD_COST + childComplexity;
  return FIELD_COST + itemsOf(size, args) * (ITEM_COST + childComplexity);
};

/** Throws at start when a list field (or a field taking `first`) has no declared size, or a declared size names no field. */
export function checkEveryListSized(schema: GraphQLSchema): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      seen.add(key);
      const sized = isListType(getNullableType(field.type)) || field.args.some((a) => a.name === 'first');
      if (sized && !SIZES[key]) problems.push(`${key} is a list without a declared size`);
    }
  }
  for (const key of Object.keys(SIZES)) if (!seen.has(key)) problems.push(`${key} has a declared size but is not in the schema`);
  if (problems.length) throw new Error(`Query cost (src/graphql/cost.ts): ${problems.join('; ')}`);
}

function refusal(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/**
 * What of the variables a cost depends on: the numbers (`first`) and the length of each list
 * (sized input lists); strings, ids and the rest only by their kind. Two requests of one document
 * with the same key have the same cost.
 */
function sizeKey(operationName: string | undefined | null, variables: Record<string, unknown> | undefined | null): string {
  return `${operationName ?? ''}|${JSON.stringify(variables ?? {}, (_key, value: unknown) => (Array.isArray(value) ? `#${value.length}` : typeof value === 'string' ? 's' : value))}`;
}

/** Costs computed per parsed document (Apollo keeps one DocumentNode per query text), by sizeKey. */
const costs = new WeakMap<DocumentNode, Map<string, number>>();
const COSTS_PER_DOCUMENT = 64;

/**
 * The refusal of an operation whose cost exceeds maxCost, else null. Lists count by `first`
 * whether it is a literal or a variable, so this needs the request's variables. Variables that
 * do not coerce are left to the executor, which refuses them before any resolver runs. The cost
 * of a document is computed once per size key (sizeKey) and remembered with the document.
 */
export function queryCostError(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined | null,
  operationName: string | undefined | null,
  maxCost: number,
): GraphQLError | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const coerces = () => !getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}).errors;
  let byKey = costs.get(document);
  if (!byKey) costs.set(document, (byKey = new Map()));
  const key = sizeKey(operationName, variables);
  let cost = byKey.get(key);
  if (cost === undefined) {
    if (!coerces()) return null;
    try {
      cost = getComplexity({ schema, query: document, variables: variables ?? {}, operationName: operation.name?.value, estimators: [estimator] });
    } catch (error) {
      return refusal(error instanceof Error ? error.message : 'The query cost could not be computed');
    }
    if (byKey.size >= COSTS_PER_DOCUMENT) byKey.clear();
    byKey.set(key, cost);
  } else if (cost > maxCost && !coerces()) {
    return null;
  }
  return cost > maxCost ? refusal(`Query cost ${cost} exceeds the cost limit of ${maxCost}`) : null;
}

/** The cost of an operation as queryCostError prices it (for tests and tuning). */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> = {}): number {
  return getComplexity({ schema, query: document, variables, estimators: [estimator] });
}

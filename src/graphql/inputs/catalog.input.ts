import { Field, ID, InputType, Int } from 'type-graphql';
import { AppError, BadUserInputError } from '../../common/errors';
import {
  MAX_BULK_ITEMS,
  MAX_ON_HAND,
  MAX_VERSION,
  PRODUCT_CATEGORY_MAX,
  PRODUCT_DESCRIPTION_MAX,
  PRODUCT_NAME_MAX,
  PRODUCT_SEARCH_MAX,
  PRODUCT_SEARCH_WORD_MAX,
  PRODUCT_SEARCH_WORD_MIN,
  PRODUCT_SEARCH_WORDS_MAX,
  STOCK_REASON_MAX,
  WAREHOUSE_LOCATION_MAX,
  WAREHOUSE_NAME_MAX,
} from '../../common/limits';
import { checkAll, optionalText, requireId, requireInt, requireMoney, requireText } from '../../common/validate';
import type { ProductFields, ProductFilter as ProductFilterValue } from '../../services/product.service';
import type { AdjustStockCommand, SetStockCommand } from '../../services/stock.service';
import type { WarehouseFields } from '../../services/warehouse.service';
import { DecimalScalar } from '../scalars/decimal.scalar';

// GraphQL checks the types; the parse functions below check lengths and ranges once, at the
// boundary, so that services receive typed values and every failure comes back as
// BAD_USER_INPUT naming its field.

@InputType({ description: 'A new product, owned by the caller' })
export class CreateProductInput {
  @Field(() => String, { description: '1-200 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 5000 characters; empty when omitted' })
  description?: string | null;

  @Field(() => DecimalScalar, { description: 'Unit price: a decimal string, not negative, at most 2 decimals' })
  price!: string;

  @Field(() => String, { description: '1-100 characters' })
  category!: string;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateProductInput {
  @Field(() => String, { nullable: true, description: '1-200 characters' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Up to 5000 characters' })
  description?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Unit price: a decimal string, not negative, at most 2 decimals' })
  price?: string | null;

  @Field(() => String, { nullable: true, description: '1-100 characters' })
  category?: string | null;
}

@InputType({ description: 'Narrows the catalog; every given field must match' })
export class ProductFilter {
  @Field(() => String, {
    nullable: true,
    description:
      'Case-insensitive substring of the name, taken literally. Not indexed: a page reads names until it has enough matches, ' +
      'so a substring that few names contain scans the whole catalog; prefer `search` for words',
  })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Word-prefix search of the name through an index: every word given must begin a word of the name ' +
      '("head car" finds "Headphones with carry-case"), ignoring case and accents. Words are runs of letters and digits; ' +
      `each needs ${PRODUCT_SEARCH_WORD_MIN}-${PRODUCT_SEARCH_WORD_MAX} characters (shorter words are not indexed), ` +
      `at most ${PRODUCT_SEARCH_WORDS_MAX} words, ${PRODUCT_SEARCH_MAX} characters in all. Common words ("the", "and") are indexed too`,
  })
  search?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact category' })
  category?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only products of this owner' })
  ownerId?: string | null;
}

@InputType({ description: 'A new warehouse, owned by the caller' })
export class CreateWarehouseInput {
  @Field(() => String, { description: '1-200 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 200 characters' })
  location?: string | null;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateWarehouseInput {
  @Field(() => String, { nullable: true, description: '1-200 characters' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Up to 200 characters' })
  location?: string | null;
}

@InputType({ description: 'Sets the on-hand quantity of one product in one of your warehouses' })
export class SetStockInput {
  @Field(() => ID, { description: 'One of your live warehouses' })
  warehouseId!: string;

  @Field(() => ID, { description: 'One of your products' })
  productId!: string;

  @Field(() => Int, { description: 'The new on-hand quantity; never below what is reserved' })
  onHand!: number;

  @Field(() => Int, { nullable: true, description: 'Compare-and-set: applies only while the stock still has this version' })
  expectedVersion?: number | null;
}

@InputType({ description: 'Changes the on-hand quantity of one product in one of your warehouses by delta' })
export class AdjustStockInput {
  @Field(() => ID, { description: 'One of your live warehouses' })
  warehouseId!: string;

  @Field(() => ID, { description: 'One of your products' })
  productId!: string;

  @Field(() => Int, { description: 'Non-zero change of the on-hand quantity' })
  delta!: number;

  @Field(() => String, { nullable: true, description: 'Up to 500 characters, kept in the ledger' })
  reason?: string | null;
}

const given = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

export function parseCreateProduct(input: CreateProductInput): ProductFields {
  return checkAll({
    name: () => requireText('name', input.name, { max: PRODUCT_NAME_MAX }),
    description: () => optionalText('description', input.description, { max: PRODUCT_DESCRIPTION_MAX }) ?? '',
    price: () => requireMoney('price', input.price),
    category: () => requireText('category', input.category, { max: PRODUCT_CATEGORY_MAX }),
  }, 'input');
}

/** Only the fields given; a null field is left as it is. */
export function parseUpdateProduct(input: UpdateProductInput): Partial<ProductFields> {
  return checkAll({
    name: () => (given(input.name) ? requireText('name', input.name, { max: PRODUCT_NAME_MAX }) : undefined),
    description: () => (given(input.description) ? (optionalText('description', input.description, { max: PRODUCT_DESCRIPTION_MAX }) ?? '') : undefined),
    price: () => (given(input.price) ? requireMoney('price', input.price) : undefined),
    category: () => (given(input.category) ? requireText('category', input.category, { max: PRODUCT_CATEGORY_MAX }) : undefined),
  }, 'input');
}

/**
 * The words of a search, lower-cased and deduplicated: runs of letters and digits, the characters
 * both indexes split on (SQLite FTS5's unicode61 and InnoDB's FULLTEXT parser), so the two
 * databases see the same words.
 */
function parseSearchWords(field: string, value: string | null | undefined): string[] | undefined {
  if (!given(value)) return undefined;
  const text = requireText(field, value, { max: PRODUCT_SEARCH_MAX });
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  if (!words.length) throw new BadUserInputError(field, `${field} must contain a word (letters or digits)`);
  if (words.length > PRODUCT_SEARCH_WORDS_MAX) throw new BadUserInputError(field, `${field} must have at most ${PRODUCT_SEARCH_WORDS_MAX} words`);
  const short = words.find((word) => [...word].length < PRODUCT_SEARCH_WORD_MIN);
  if (short) throw new BadUserInputError(field, `each word of ${field} needs at least ${PRODUCT_SEARCH_WORD_MIN} letters or digits (got "${short}")`);
  if (words.some((word) => [...word].length > PRODUCT_SEARCH_WORD_MAX)) throw new BadUserInputError(field, `each word of ${field} must be at most ${PRODUCT_SEARCH_WORD_MAX} characters`);
  return words;
}

/** An empty name or category filters nothing; an empty search is refused (it would mean every product, through an index that cannot serve it). */
export function parseProductFilter(filter: ProductFilter | null | undefined): ProductFilterValue {
  if (!filter) return {};
  return checkAll({
    name: () => optionalText('filter.name', filter.name, { max: PRODUCT_NAME_MAX }) || undefined,
    searchWords: () => parseSearchWords('filter.search', filter.search),
    category: () => optionalText('filter.category', filter.category, { max: PRODUCT_CATEGORY_MAX }) || undefined,
    ownerId: () => (given(filter.ownerId) ? requireId('filter.ownerId', filter.ownerId) : undefined),
  });
}

export function parseCreateWarehouse(input: CreateWarehouseInput): { name: string; location: string } {
  return checkAll({
    name: () => requireText('name', input.name, { max: WAREHOUSE_NAME_MAX }),
    location: () => optionalText('location', input.location, { max: WAREHOUSE_LOCATION_MAX }) ?? '',
  }, 'input');
}

export function parseUpdateWarehouse(input: UpdateWarehouseInput): WarehouseFields {
  return checkAll({
    name: () => (given(input.name) ? requireText('name', input.name, { max: WAREHOUSE_NAME_MAX }) : undefined),
    location: () => (given(input.location) ? optionalText('location', input.location, { max: WAREHOUSE_LOCATION_MAX }) : undefined),
  }, 'input');
}

export function parseSetStock(input: SetStockInput): SetStockCommand {
  return checkAll({
    warehouseId: () => requireId('warehouseId', input.warehouseId),
    productId: () => requireId('productId', input.productId),
    onHand: () => requireInt('onHand', input.onHand, { min: 0, max: MAX_ON_HAND }),
    expectedVersion: () => (given(input.expectedVersion) ? requireInt('expectedVersion', input.expectedVersion, { min: 1, max: MAX_VERSION }) : undefined),
  }, 'input');
}

/** Bulk setStocks: at most MAX_BULK_ITEMS items; an item that does not parse becomes its error, reported in its place. */
export function parseSetStocks(items: SetStockInput[]): (SetStockCommand | AppError)[] {
  if (items.length > MAX_BULK_ITEMS) throw new BadUserInputError('input', `at most ${MAX_BULK_ITEMS} items per call (got ${items.length})`);
  return items.map((item) => {
    try {
      return parseSetStock(item);
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
  });
}

export function parseAdjustStock(input: AdjustStockInput): AdjustStockCommand {
  return checkAll({
    warehouseId: () => requireId('warehouseId', input.warehouseId),
    productId: () => requireId('productId', input.productId),
    delta: () => {
      const delta = requireInt('delta', input.delta, { min: -MAX_ON_HAND, max: MAX_ON_HAND });
      if (delta === 0) throw new BadUserInputError('delta', 'delta must not be 0');
      return delta;
    },
    reason: () => optionalText('reason', input.reason, { max: STOCK_REASON_MAX }) || null,
  }, 'input');
}

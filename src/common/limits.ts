/** Fixed bounds of the domain, checked where input enters (src/graphql/inputs) and where units compute totals. */

/** Largest quantity one cart line (and one addToCart or buyNow) may ask for, whatever MAX_HOLD_PER_PRODUCT says. */
export const MAX_LINE_QUANTITY = 10_000;

/** Largest on-hand quantity of one stock row, and the largest single adjustment. */
export const MAX_ON_HAND = 1_000_000_000;

/** Most items of one bulk setStocks call. */
export const MAX_BULK_ITEMS = 500;

/** Most stock items (setStock, adjustStock, setStocks items) one request may write, across all its fields and aliases. */
export const MAX_STOCK_ITEMS_PER_REQUEST = 500;

/** Largest version a compare-and-set may name (the column is a signed 32-bit integer). */
export const MAX_VERSION = 2_147_483_647;

/** Largest `first` of any paginated field; the query cost (src/graphql/cost.ts) prices by the same bounds. */
export const MAX_PAGE_SIZE = 100;

/** `first` of a connection when omitted. */
export const DEFAULT_PAGE_SIZE = 20;

/** `first` of a list nested in an object (`Warehouse.stocks`, `Product.stocks`) when omitted. */
export const DEFAULT_NESTED_PAGE_SIZE = 100;

/** Text lengths of the catalog. */
export const PRODUCT_NAME_MAX = 200;
export const PRODUCT_DESCRIPTION_MAX = 5000;
export const PRODUCT_CATEGORY_MAX = 100;
export const WAREHOUSE_NAME_MAX = 200;
export const WAREHOUSE_LOCATION_MAX = 200;
export const USER_NAME_MAX = 100;
export const STOCK_REASON_MAX = 500;

/**
 * The catalog's word-prefix search (`ProductFilter.search`). Words shorter than 3 characters are
 * not in MySQL's FULLTEXT index (innodb_ft_min_token_size = 3, a server-wide startup option), so a
 * search word must have at least 3; 84 is innodb_ft_max_token_size, the longest word it indexes.
 */
export const PRODUCT_SEARCH_MAX = 100;
export const PRODUCT_SEARCH_WORDS_MAX = 8;
export const PRODUCT_SEARCH_WORD_MIN = 3;
export const PRODUCT_SEARCH_WORD_MAX = 84;

/** Password lengths (the longest is refused before hashing, so a huge body cannot burn CPU). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** Longest email address (RFC 5321): registration refuses a longer one, so no account has one. */
export const EMAIL_MAX = 254;

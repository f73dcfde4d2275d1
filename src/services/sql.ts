/** Small helpers for the parameterised SQL the services run through `em.execute`. */

/** A row as the driver returns it (MySQL and SQLite differ in number/string types). */
export type Row = Record<string, unknown>;

/** A numeric column as a number (drivers may return strings or bigints; NULL is 0). */
export const num = (value: unknown): number => Number(value ?? 0);

/** `?,?,…` placeholders for an IN list of `count` values. */
export const marks = (count: number): string => Array.from({ length: count }, () => '?').join(',');

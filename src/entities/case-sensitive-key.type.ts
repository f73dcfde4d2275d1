import { type EntityProperty, type Platform, Type } from '@mikro-orm/core';

/**
 * A short ASCII key compared byte for byte on every database: `varchar(n)` with MySQL's binary
 * collation (`utf8mb4_bin`: its default `_ci` collation would make `Ab` and `ab` one key), and a
 * plain `varchar(n)` on SQLite, whose default BINARY collation already compares bytes.
 */
export class CaseSensitiveKeyType extends Type<string, string> {
  getColumnType(prop: EntityProperty, platform: Platform): string {
    const type = `varchar(${prop.length ?? 255})`;
    return platform.constructor.name.toLowerCase().includes('sqlite') ? type : `${type} collate utf8mb4_bin`;
  }

  compareAsType(): string {
    return 'string';
  }
}

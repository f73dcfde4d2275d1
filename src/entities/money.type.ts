import { Type } from '@mikro-orm/core';
import { normalizeMoney } from '../common/money';

/** DECIMAL(15,2) in the database, a canonical decimal string in code: never a float. */
export class MoneyType extends Type<string, string> {
  convertToDatabaseValue(value: string): string {
    return normalizeMoney(value);
  }

  convertToJSValue(value: string | number): string {
    return value === null || value === undefined ? value : normalizeMoney(value);
  }

  getColumnType(): string {
    return 'decimal(15,2)';
  }

  compareAsType(): string {
    return 'string';
  }
}

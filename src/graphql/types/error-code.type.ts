import { registerEnumType } from 'type-graphql';
import { ERROR_CODES, type ErrorCode } from '../../common/errors';

/** The schema's `ErrorCode` enum: the values of ERROR_CODES (src/common/errors.ts), each named by itself. */
export const ErrorCodeEnum = Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, code])) as { [K in ErrorCode]: K };

registerEnumType(ErrorCodeEnum, {
  name: 'ErrorCode',
  description:
    'Every value of errors[].extensions.code (and of StockError.code). Clients switch on extensions.code, typed against this enum; a code added later is a new value, so keep a default branch.',
  valuesConfig: Object.fromEntries(Object.entries(ERROR_CODES).map(([code, description]) => [code, { description }])) as Record<ErrorCode, { description: string }>,
});

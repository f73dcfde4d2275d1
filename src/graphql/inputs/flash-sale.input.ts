import { Field, ID, InputType, Int } from 'type-graphql';
import { BadUserInputError } from '../../common/errors';
import { MAX_LINE_QUANTITY, MAX_ON_HAND } from '../../common/limits';
import { requireId, requireInt, requireMoney } from '../../common/validate';
import type { FlashSaleChanges, FlashSaleTerms } from '../../services/flash-sale.service';
import { DecimalScalar } from '../scalars/decimal.scalar';

@InputType({ description: 'A new flash sale of one product' })
export class CreateFlashSaleInput {
  @Field(() => ID, { description: "The product on sale: one of the caller's (any, for an admin)" })
  productId!: string;

  @Field(() => DecimalScalar, { description: 'Price per unit while the sale runs and its quota lasts, a decimal string such as "9.99"' })
  salePrice!: string;

  @Field(() => Date, { description: 'Start (inclusive), compared with the database clock' })
  startsAt!: Date;

  @Field(() => Date, { description: 'End (exclusive), after startsAt' })
  endsAt!: Date;

  @Field(() => Int, { nullable: true, description: `Units at the sale price over the whole sale (1-${MAX_ON_HAND}); no quota when omitted` })
  quota?: number | null;

  @Field(() => Int, { nullable: true, description: `Units per buyer over the whole sale (1-${MAX_LINE_QUANTITY}); no limit when omitted` })
  perBuyerLimit?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Sell at the regular price before the start and once the quota is gone (default false: sale-only)' })
  regularPriceAllowed?: boolean | null;
}

@InputType({ description: 'Only the fields given are changed; quota and perBuyerLimit null remove them (before the start only)' })
export class UpdateFlashSaleInput {
  @Field(() => DecimalScalar, { nullable: true, description: 'A new sale price; omitted: unchanged' })
  salePrice?: string | null;

  @Field(() => Date, { nullable: true, description: 'A new start (inclusive); omitted: unchanged' })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'A new end (exclusive); omitted: unchanged' })
  endsAt?: Date | null;

  @Field(() => Int, { nullable: true, description: `A new quota (1-${MAX_ON_HAND}); null removes it; omitted: unchanged` })
  quota?: number | null;

  @Field(() => Int, { nullable: true, description: `A new per-buyer limit (1-${MAX_LINE_QUANTITY}); null removes it; omitted: unchanged` })
  perBuyerLimit?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the product sells at its regular price before the start and once the quota is gone; omitted: unchanged' })
  regularPriceAllowed?: boolean | null;
}

function requireDate(field: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new BadUserInputError(field, `${field} must be a date-time`);
  return value;
}

const quotaOf = (value: unknown) => requireInt('quota', value, { min: 1, max: MAX_ON_HAND });
const limitOf = (value: unknown) => requireInt('perBuyerLimit', value, { min: 1, max: MAX_LINE_QUANTITY });

export function parseCreateFlashSale(input: CreateFlashSaleInput): FlashSaleTerms & { productId: number } {
  return {
    productId: requireId('productId', input.productId),
    salePrice: requireMoney('salePrice', input.salePrice),
    startsAt: requireDate('startsAt', input.startsAt),
    endsAt: requireDate('endsAt', input.endsAt),
    quota: input.quota === undefined || input.quota === null ? null : quotaOf(input.quota),
    perBuyerLimit: input.perBuyerLimit === undefined || input.perBuyerLimit === null ? null : limitOf(input.perBuyerLimit),
    regularPriceAllowed: input.regularPriceAllowed ?? false,
  };
}

/** A field left out stays; `null` for quota / perBuyerLimit removes it (GraphQL's explicit null). */
export function parseUpdateFlashSale(input: UpdateFlashSaleInput): FlashSaleChanges {
  const changes: FlashSaleChanges = {};
  if (input.salePrice !== undefined && input.salePrice !== null) changes.salePrice = requireMoney('salePrice', input.salePrice);
  if (input.startsAt !== undefined && input.startsAt !== null) changes.startsAt = requireDate('startsAt', input.startsAt);
  if (input.endsAt !== undefined && input.endsAt !== null) changes.endsAt = requireDate('endsAt', input.endsAt);
  if (input.quota !== undefined) changes.quota = input.quota === null ? null : quotaOf(input.quota);
  if (input.perBuyerLimit !== undefined) changes.perBuyerLimit = input.perBuyerLimit === null ? null : limitOf(input.perBuyerLimit);
  if (input.regularPriceAllowed !== undefined && input.regularPriceAllowed !== null) changes.regularPriceAllowed = input.regularPriceAllowed;
  return changes;
}

import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FlashSaleStatus } from '../../entities';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Connection } from './connection';

registerEnumType(FlashSaleStatus, {
  name: 'FlashSaleStatus',
  description: 'Where a sale stands by the database clock',
  valuesConfig: {
    UPCOMING: { description: 'Announced: its start is still ahead' },
    RUNNING: { description: 'Between its start (inclusive) and its end (exclusive), not cancelled' },
    ENDED: { description: 'Its end has passed' },
    CANCELLED: { description: 'Ended early by cancelFlashSale' },
  },
});

/** `product` comes from FlashSaleResolver. */
@ObjectType('FlashSale', { description: "A product's sale price in a window, with an optional quota and per-buyer limit, enforced by the database" })
export class FlashSaleType {
  @Field(() => ID, { description: 'The flash sale id' })
  id!: number;

  @Field(() => DecimalScalar, { description: 'Price per unit while the sale runs and its quota lasts' })
  salePrice!: string;

  @Field(() => Date, { description: 'Start (inclusive), by the database clock' })
  startsAt!: Date;

  @Field(() => Date, { description: 'End (exclusive), by the database clock' })
  endsAt!: Date;

  @Field(() => Int, { nullable: true, description: 'Units sold at the sale price over the whole sale; null: no quota' })
  quota?: number | null;

  @Field(() => Int, { nullable: true, description: 'Units of the quota not yet held in carts or ordered' })
  quotaRemaining?: number | null;

  @Field(() => Int, { nullable: true, description: 'Units one buyer may hold and buy at the sale price over the whole sale; null: no limit' })
  perBuyerLimit?: number | null;

  @Field(() => Boolean, { description: 'Before the start and once the quota is gone the product sells at its regular price (false: sale-only)' })
  regularPriceAllowed!: boolean;

  @Field(() => FlashSaleStatus, { description: 'UPCOMING, RUNNING, ENDED or CANCELLED, by the database clock when read' })
  status!: FlashSaleStatus;

  @Field(() => Date, { nullable: true, description: 'When cancelFlashSale ended it; null otherwise' })
  cancelledAt?: Date | null;

  @Field(() => Date, { description: 'When the sale was created' })
  createdAt!: Date;

  @Field(() => Date, { description: "When the sale's terms last changed" })
  updatedAt!: Date;
}

export const FlashSaleConnection = Connection('FlashSale', FlashSaleType);

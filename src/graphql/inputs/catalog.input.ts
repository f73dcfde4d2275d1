import { Field, ID, InputType, Int } from 'type-graphql';
import { DecimalScalar } from '../scalars/decimal.scalar';

// Lengths and ranges are checked in the services (src/common/validate.ts), so every failure
// comes back as BAD_USER_INPUT naming its field.

@InputType()
export class CreateProductInput {
  @Field(() => String, { description: '1-200 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 5000 characters; empty when omitted' })
  description?: string | null;

  @Field(() => DecimalScalar)
  price!: string;

  @Field(() => String, { description: '1-100 characters' })
  category!: string;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateProductInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  price?: string | null;

  @Field(() => String, { nullable: true })
  category?: string | null;
}

@InputType()
export class ProductFilter {
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact category' })
  category?: string | null;

  @Field(() => ID, { nullable: true })
  ownerId?: string | null;
}

@InputType()
export class CreateWarehouseInput {
  @Field(() => String, { description: '1-200 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 200 characters' })
  location?: string | null;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateWarehouseInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  location?: string | null;
}

@InputType()
export class SetStockInput {
  @Field(() => ID)
  warehouseId!: string;

  @Field(() => ID)
  productId!: string;

  @Field(() => Int, { description: 'The new on-hand quantity; never below what is reserved' })
  onHand!: number;

  @Field(() => Int, { nullable: true, description: 'Compare-and-set: applies only while the stock still has this version' })
  expectedVersion?: number | null;
}

@InputType()
export class AdjustStockInput {
  @Field(() => ID)
  warehouseId!: string;

  @Field(() => ID)
  productId!: string;

  @Field(() => Int, { description: 'Non-zero change of the on-hand quantity' })
  delta!: number;

  @Field(() => String, { nullable: true, description: 'Up to 500 characters, kept in the ledger' })
  reason?: string | null;
}

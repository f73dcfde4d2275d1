import { DateTimeType, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/** Integer ids (deterministic lock ordering) and millisecond timestamps on every table. */
export abstract class BaseEntity {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: DateTimeType, length: 3, onCreate: () => new Date() })
  createdAt: Opt<Date> = new Date();

  @Property({ type: DateTimeType, length: 3, onCreate: () => new Date(), onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}

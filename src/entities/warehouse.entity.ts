import { DateTimeType, Entity, ManyToOne, Property, type Opt, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { User } from './user.entity';

@Entity({ tableName: 'warehouses' })
export class Warehouse extends BaseEntity {
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'restrict' })
  owner!: Ref<User>;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 200, default: '' })
  location: Opt<string> = '';

  /** Set instead of deleting a warehouse that order lines or the ledger still point at. */
  @Property({ type: DateTimeType, length: 3, nullable: true })
  archivedAt?: Date | null;
}

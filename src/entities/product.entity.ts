import { DateTimeType, Entity, Index, ManyToOne, Property, type Opt, type Ref } from '@mikro-orm/core';
import { BaseEntity } from './base';
import { MoneyType } from './money.type';
import { User } from './user.entity';

@Entity({ tableName: 'products' })
@Index({ name: 'products_category_idx', properties: ['category'] })
@Index({ name: 'products_archived_idx', properties: ['archivedAt'] })
// MySQL only (the migration creates it without stopwords); SQLite's search is the FTS5 table of src/config/database.ts.
@Index({ name: 'products_name_fulltext', properties: ['name'], type: 'fulltext' })
export class Product extends BaseEntity {
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'restrict' })
  owner!: Ref<User>;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'text', default: '' })
  description: Opt<string> = '';

  @Property({ type: MoneyType })
  price!: string;

  @Property({ type: 'string', length: 100 })
  category!: string;

  /** Set instead of deleting a product that has orders, so order history survives. */
  @Property({ type: DateTimeType, length: 3, nullable: true })
  archivedAt?: Date | null;
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Reads that stay fast as data grows (issue 12), on a database that already has data:
 * - `stocks.sold`, units of the row in orders that are not cancelled (the counter behind
 *   `Product.totalOrdered`), backfilled from the order lines;
 * - `stock_movements.product_id` with `(product_id, id)`, so a product's ledger is paged by index
 *   (keyset, no filesort), backfilled from the stock rows;
 * - `products.archived_at` indexed (the catalog's filter and count);
 * - `stock_audit_checkpoints`, written by a clean stock audit (`--incremental` starts there).
 * Written by hand from what migration:create emitted, without MariaDB's phantom default-quoting
 * diffs. `product_id` is added nullable, filled, then made NOT NULL with its index in one ALTER
 * (one table rebuild).
 */
export class Migration20261201231905 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`stock_audit_checkpoints\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`last_movement_id\` int not null, \`stocks_checked\` int not null, \`movements_checked\` int not null, \`full_audit\` tinyint(1) not null) default character set utf8mb4 engine = InnoDB;`);

    this.addSql(`alter table \`products\` add index \`products_archived_idx\`(\`archived_at\`);`);

    this.addSql(`alter table \`stocks\` add \`sold\` int not null default 0;`);
    this.addSql(
      `update \`stocks\` s join (select ol.stock_id, sum(ol.quantity) as qty from \`order_lines\` ol join \`orders\` o on o.id = ol.order_id ` +
        `where o.status <> 'CANCELLED' group by ol.stock_id) t on t.stock_id = s.id set s.sold = t.qty;`,
    );
    this.addSql(`alter table \`stocks\` add constraint stocks_sold_non_negative check(sold >= 0);`);

    this.addSql(`alter table \`stock_movements\` add \`product_id\` int null;`);
    this.addSql(`update \`stock_movements\` m join \`stocks\` s on s.id = m.stock_id set m.product_id = s.product_id;`);
    this.addSql(`alter table \`stock_movements\` modify \`product_id\` int not null, add index \`stock_movements_product_idx\`(\`product_id\`, \`id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`stock_audit_checkpoints\`;`);
    this.addSql(`alter table \`stock_movements\` drop index \`stock_movements_product_idx\`, drop column \`product_id\`;`);
    this.addSql(`alter table \`products\` drop index \`products_archived_idx\`;`);
    this.addSql(`alter table \`stocks\` drop constraint stocks_sold_non_negative;`);
    this.addSql(`alter table \`stocks\` drop column \`sold\`;`);
  }

}

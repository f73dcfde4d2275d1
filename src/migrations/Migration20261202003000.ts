import { Migration } from '@mikro-orm/migrations';

/**
 * The catalog's word-prefix search (`ProductFilter.search`, issue 12): a FULLTEXT index on
 * `products.name`, served by `MATCH … AGAINST('+word*' IN BOOLEAN MODE)`.
 *
 * Stopwords: InnoDB attaches a stopword list to a FULLTEXT index when the index is created, from
 * the *session's* `innodb_ft_enable_stopword` (Global and Session scope on MySQL 8 and MariaDB
 * 10.11), and keeps it in the table's own FTS configuration. So this index is created with
 * stopwords off for this one statement's session only: "the", "for", "with" stay searchable, and
 * no server-wide setting changes. The minimum word length (`innodb_ft_min_token_size`, 3 by
 * default) is a server start-up option and cannot be set per table: the search refuses shorter
 * words instead of silently finding nothing (src/common/limits.ts).
 *
 * On a table with data the first FULLTEXT index rebuilds it in place (InnoDB adds its hidden
 * FTS_DOC_ID column) and tokenizes every name: seconds for 100,000 products, writes to `products`
 * wait for it. Written by hand (migration:create cannot express the session setting). Migrations
 * run outside a transaction, one pooled connection per `addSql`, so the setting and the ALTER run
 * here on one connection of their own (a knex transaction pins it; the ALTER commits implicitly).
 */
export class Migration20261202003000 extends Migration {

  override async up(): Promise<void> {
    await this.getKnex().transaction(async (connection) => {
      await connection.raw('set session innodb_ft_enable_stopword = off');
      try {
        await connection.raw('alter table `products` add fulltext index `products_name_fulltext`(`name`)');
      } finally {
        await connection.raw('set session innodb_ft_enable_stopword = default');
      }
    });
  }

  /**
   * Drops the index and rebuilds the table (FORCE), which removes InnoDB's hidden FTS_DOC_ID. Without
   * the rebuild, MariaDB 10.11 answered every search with nothing after `up` ran again on a table
   * whose index had been filled row by row (index made on an empty table, then inserts): an index
   * re-added in place over the old FTS_DOC_ID came back empty. A first `up` on a table with data
   * builds a correct index (tested at 10,000 and 100,000 products).
   */
  override async down(): Promise<void> {
    this.addSql('alter table `products` drop index `products_name_fulltext`, force;');
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys compared byte for byte (CaseSensitiveKeyType): the table's default `_ci`
 * collation made `Ab` and `ab` one key on MySQL while SQLite kept them apart. Written by hand:
 * migration:create does not see collations, and what it emitted besides were MariaDB's phantom
 * default-quoting diffs. Existing keys cannot collide under the binary collation (they were unique
 * under the case-insensitive one); `down` can fail once two keys of a user differ only in case.
 */
export class Migration20261201205302 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`orders\` modify \`idempotency_key\` varchar(100) collate utf8mb4_bin not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`orders\` modify \`idempotency_key\` varchar(100) not null;`);
  }

}

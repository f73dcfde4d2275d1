import { Migration } from '@mikro-orm/migrations';

export class Migration20261121222841 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`users\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`email\` varchar(254) not null, \`name\` varchar(100) not null, \`password_hash\` varchar(255) not null, \`role\` enum('CUSTOMER', 'ADMIN') not null default 'CUSTOMER', \`token_version\` int not null default 0, \`totp_enabled\` tinyint(1) not null default false, \`totp_secret_enc\` text null, \`totp_pending_enc\` text null, \`totp_last_step\` bigint null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`users\` add unique \`users_email_unique\`(\`email\`);`);

    this.addSql(`create table \`products\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`owner_id\` int unsigned not null, \`name\` varchar(200) not null, \`description\` text not null default (''), \`price\` decimal(15,2) not null, \`category\` varchar(100) not null, \`archived_at\` datetime(3) null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`products\` add index \`products_owner_id_index\`(\`owner_id\`);`);
    this.addSql(`alter table \`products\` add index \`products_category_idx\`(\`category\`);`);

    this.addSql(`create table \`orders\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`user_id\` int unsigned not null, \`status\` enum('PENDING', 'PROCESSED', 'SHIPPED', 'DELIVERED', 'CANCELLED') not null default 'PENDING', \`total_price\` decimal(15,2) not null, \`shipping_cost\` decimal(15,2) not null, \`idempotency_key\` varchar(100) not null, \`request_hash\` varchar(64) not null, \`version\` int not null default 1) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`orders\` add index \`orders_user_id_index\`(\`user_id\`);`);
    this.addSql(`alter table \`orders\` add index \`orders_user_status_idx\`(\`user_id\`, \`status\`);`);
    this.addSql(`alter table \`orders\` add unique \`orders_user_idempotency_unique\`(\`user_id\`, \`idempotency_key\`);`);

    this.addSql(`create table \`carts\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`user_id\` int unsigned not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`carts\` add index \`carts_user_id_index\`(\`user_id\`);`);
    this.addSql(`alter table \`carts\` add unique \`carts_user_unique\`(\`user_id\`);`);

    this.addSql(`create table \`cart_items\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`cart_id\` int unsigned not null, \`product_id\` int unsigned not null, \`quantity\` int not null, \`unit_price\` decimal(15,2) not null, \`version\` int not null default 1) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`cart_items\` add index \`cart_items_cart_id_index\`(\`cart_id\`);`);
    this.addSql(`alter table \`cart_items\` add index \`cart_items_product_id_index\`(\`product_id\`);`);
    this.addSql(`alter table \`cart_items\` add unique \`cart_items_cart_product_unique\`(\`cart_id\`, \`product_id\`);`);

    this.addSql(`create table \`warehouses\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`owner_id\` int unsigned not null, \`name\` varchar(200) not null, \`location\` varchar(200) not null default '', \`archived_at\` datetime(3) null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`warehouses\` add index \`warehouses_owner_id_index\`(\`owner_id\`);`);

    this.addSql(`create table \`stocks\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`warehouse_id\` int unsigned not null, \`product_id\` int unsigned not null, \`on_hand\` int not null default 0, \`reserved\` int not null default 0, \`version\` int not null default 1, constraint stocks_reserved_within_on_hand check (reserved <= on_hand), constraint stocks_reserved_non_negative check (reserved >= 0), constraint stocks_on_hand_non_negative check (on_hand >= 0)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`stocks\` add index \`stocks_warehouse_id_index\`(\`warehouse_id\`);`);
    this.addSql(`alter table \`stocks\` add index \`stocks_product_id_index\`(\`product_id\`);`);
    this.addSql(`alter table \`stocks\` add unique \`stocks_warehouse_product_unique\`(\`warehouse_id\`, \`product_id\`);`);

    this.addSql(`create table \`stock_movements\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`stock_id\` int unsigned not null, \`kind\` enum('ADJUSTMENT', 'RESERVATION', 'RELEASE', 'SALE', 'CANCELLATION', 'EXPIRY') not null, \`on_hand_delta\` int not null, \`reserved_delta\` int not null, \`on_hand_after\` int not null, \`reserved_after\` int not null, \`reason\` varchar(500) null, \`order_id\` int null, \`actor_id\` int unsigned null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`stock_movements\` add index \`stock_movements_stock_id_index\`(\`stock_id\`);`);
    this.addSql(`alter table \`stock_movements\` add index \`stock_movements_actor_id_index\`(\`actor_id\`);`);
    this.addSql(`alter table \`stock_movements\` add index \`stock_movements_stock_idx\`(\`stock_id\`, \`id\`);`);

    this.addSql(`create table \`stock_holds\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`cart_item_id\` int unsigned not null, \`stock_id\` int unsigned not null, \`quantity\` int not null, \`expires_at_ms\` bigint not null) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`stock_holds\` add index \`stock_holds_cart_item_id_index\`(\`cart_item_id\`);`);
    this.addSql(`alter table \`stock_holds\` add index \`stock_holds_stock_idx\`(\`stock_id\`);`);
    this.addSql(`alter table \`stock_holds\` add index \`stock_holds_expires_idx\`(\`expires_at_ms\`);`);
    this.addSql(`alter table \`stock_holds\` add unique \`stock_holds_item_stock_unique\`(\`cart_item_id\`, \`stock_id\`);`);

    this.addSql(`create table \`order_lines\` (\`id\` int unsigned not null auto_increment primary key, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, \`order_id\` int unsigned not null, \`product_id\` int unsigned not null, \`warehouse_id\` int unsigned not null, \`stock_id\` int unsigned not null, \`quantity\` int not null, \`unit_price\` decimal(15,2) not null, \`subtotal\` decimal(15,2) not null, constraint order_lines_quantity_positive check (quantity > 0)) default character set utf8mb4 engine = InnoDB;`);
    this.addSql(`alter table \`order_lines\` add index \`order_lines_order_id_index\`(\`order_id\`);`);
    this.addSql(`alter table \`order_lines\` add index \`order_lines_product_id_index\`(\`product_id\`);`);
    this.addSql(`alter table \`order_lines\` add index \`order_lines_warehouse_id_index\`(\`warehouse_id\`);`);
    this.addSql(`alter table \`order_lines\` add index \`order_lines_stock_id_index\`(\`stock_id\`);`);

    this.addSql(`alter table \`products\` add constraint \`products_owner_id_foreign\` foreign key (\`owner_id\`) references \`users\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`orders\` add constraint \`orders_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`carts\` add constraint \`carts_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`cart_items\` add constraint \`cart_items_cart_id_foreign\` foreign key (\`cart_id\`) references \`carts\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`cart_items\` add constraint \`cart_items_product_id_foreign\` foreign key (\`product_id\`) references \`products\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`warehouses\` add constraint \`warehouses_owner_id_foreign\` foreign key (\`owner_id\`) references \`users\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`stocks\` add constraint \`stocks_warehouse_id_foreign\` foreign key (\`warehouse_id\`) references \`warehouses\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`stocks\` add constraint \`stocks_product_id_foreign\` foreign key (\`product_id\`) references \`products\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`stock_movements\` add constraint \`stock_movements_stock_id_foreign\` foreign key (\`stock_id\`) references \`stocks\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`stock_movements\` add constraint \`stock_movements_actor_id_foreign\` foreign key (\`actor_id\`) references \`users\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`stock_holds\` add constraint \`stock_holds_cart_item_id_foreign\` foreign key (\`cart_item_id\`) references \`cart_items\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`stock_holds\` add constraint \`stock_holds_stock_id_foreign\` foreign key (\`stock_id\`) references \`stocks\` (\`id\`) on update cascade on delete restrict;`);

    this.addSql(`alter table \`order_lines\` add constraint \`order_lines_order_id_foreign\` foreign key (\`order_id\`) references \`orders\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`order_lines\` add constraint \`order_lines_product_id_foreign\` foreign key (\`product_id\`) references \`products\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`order_lines\` add constraint \`order_lines_warehouse_id_foreign\` foreign key (\`warehouse_id\`) references \`warehouses\` (\`id\`) on update cascade on delete restrict;`);
    this.addSql(`alter table \`order_lines\` add constraint \`order_lines_stock_id_foreign\` foreign key (\`stock_id\`) references \`stocks\` (\`id\`) on update cascade on delete restrict;`);
  }

}

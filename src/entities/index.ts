import { Cart, CartItem, StockHold } from './cart.entity';
import { FlashSale, FlashSaleBuyer, FlashSaleHold } from './flash-sale.entity';
import { Order, OrderLine } from './order.entity';
import { Product } from './product.entity';
import { RateLimit } from './rate-limit.entity';
import { StockAuditCheckpoint } from './stock-audit-checkpoint.entity';
import { StockMovement } from './stock-movement.entity';
import { Stock } from './stock.entity';
import { User } from './user.entity';
import { Warehouse } from './warehouse.entity';

export * from './cart.entity';
export * from './flash-sale.entity';
export * from './order.entity';
export * from './product.entity';
export * from './rate-limit.entity';
export * from './stock-audit-checkpoint.entity';
export * from './stock-movement.entity';
export * from './stock.entity';
export * from './user.entity';
export * from './warehouse.entity';

/** Every entity, listed explicitly so discovery works the same from `src` and from `dist`. */
export const ENTITIES = [User, Product, Warehouse, Stock, StockMovement, Cart, CartItem, StockHold, Order, OrderLine, RateLimit, FlashSale, FlashSaleBuyer, FlashSaleHold, StockAuditCheckpoint];

import type { Orm } from './config/database';
import type { AppConfig } from './config/env';
import { UnitOfWork } from './db/unit-of-work';
import { UnitGroups } from './db/unit-group';
import { AuthService } from './services/auth.service';
import { BuyNowBatcher } from './services/buy-now-batcher';
import { CartService } from './services/cart.service';
import { FlashSaleService } from './services/flash-sale.service';
import { OrderService } from './services/order.service';
import { ProductService } from './services/product.service';
import { RateLimitService } from './services/rate-limit.service';
import { ShopperMutation } from './services/shopper-mutation';
import { StockWatchService } from './services/stock-watch.service';
import { StockService } from './services/stock.service';
import { TokenService } from './services/token.service';
import { TotpService } from './services/totp.service';
import { WarehouseService } from './services/warehouse.service';

/** One instance of each service per process. */
export interface Services {
  auth: AuthService;
  tokens: TokenService;
  totp: TotpService;
  products: ProductService;
  warehouses: WarehouseService;
  stock: StockService;
  carts: CartService;
  orders: OrderService;
  stockWatch: StockWatchService;
  rateLimits: RateLimitService;
  flashSales: FlashSaleService;
}

/**
 * The composition root: every service is built here, once, from the configuration and the
 * database, and gets what it uses through its constructor. Nothing else constructs a service.
 */
export function createServices(config: AppConfig, orm: Orm): Services {
  const uow = new UnitOfWork(config.retry);
  const tokens = new TokenService(config.jwt);
  const totp = new TotpService(config.totpEncryptionKey);
  const rateLimits = new RateLimitService(config.rateLimits);
  const shopper = new ShopperMutation(uow, rateLimits, config.maxHoldPerProduct, new UnitGroups(uow, config.unitGroups));
  return {
    tokens,
    totp,
    rateLimits,
    auth: new AuthService(tokens, totp, rateLimits),
    products: new ProductService(uow),
    warehouses: new WarehouseService(uow),
    stock: new StockService(uow, rateLimits),
    carts: new CartService(uow, shopper, config.reservationTtlSeconds),
    orders: new OrderService(uow, shopper, new BuyNowBatcher(orm, uow, config.checkoutLocking, config.buyNowQueue, rateLimits)),
    stockWatch: new StockWatchService(orm, config.stockWatchIntervalMs),
    flashSales: new FlashSaleService(uow),
  };
}

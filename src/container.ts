import type { AppConfig } from './config/env';
import { AuthService } from './services/auth.service';
import { CartService } from './services/cart.service';
import { OrderService } from './services/order.service';
import { ProductService } from './services/product.service';
import { RateLimitService } from './services/rate-limit.service';
import { StockWatchService } from './services/stock-watch.service';
import { StockService } from './services/stock.service';
import { WarehouseService } from './services/warehouse.service';
import { TokenService } from './services/token.service';
import { TotpService } from './services/totp.service';

/** One instance of each service per process, built from the configuration at boot. */
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
}

export function createServices(config: AppConfig): Services {
  const tokens = new TokenService(config.jwt);
  const totp = new TotpService(config.totpEncryptionKey);
  return {
    tokens,
    totp,
    auth: new AuthService(tokens, totp),
    products: new ProductService(),
    warehouses: new WarehouseService(),
    stock: new StockService(),
    carts: new CartService(),
    orders: new OrderService(),
    stockWatch: new StockWatchService(config.stockWatchIntervalMs),
    rateLimits: new RateLimitService(config),
  };
}

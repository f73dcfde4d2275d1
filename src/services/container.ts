import type { AppConfig } from '../config/env';
import { AuthService } from './auth.service';
import { CartService } from './cart.service';
import { OrderService } from './order.service';
import { ProductService } from './product.service';
import { RateLimitService } from './rate-limit.service';
import { StockWatchService } from './stock-watch.service';
import { StockService } from './stock.service';
import { WarehouseService } from './warehouse.service';
import { TokenService } from './token.service';
import { TotpService } from './totp.service';

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

import { randomUUID } from 'node:crypto';
import { Cart, CartItem, Order, OrderLine, OrderStatus, StockMovementKind } from '../../src/entities';
import { insertHold } from '../../src/repositories/stock.repository';
import { allocateStock } from '../../src/services/stock-allocation';
import { sqlFor } from '../../src/db/sql';
import { RegisterDocument } from '../generated/auth';
import { CreateProductDocument, CreateWarehouseDocument, SetStockDocument } from '../generated/catalog';
import { expectData, type GraphQLClient } from './client';
import type { TestServer } from './server';

export interface TestUser {
  id: string;
  token: string;
  client: GraphQLClient;
}

/** Registers a user through the API (one argon2 hash each: fine for a handful of users). */
export async function registerUser(server: TestServer, email = `u-${randomUUID()}@example.com`): Promise<TestUser> {
  const res = expectData(await server.client.request(RegisterDocument, { input: { email, password: 'correct horse battery', name: email.split('@')[0] } }));
  return { id: res.register.user.id, token: res.register.token, client: server.client.withToken(res.register.token) };
}

export async function createProduct(user: TestUser, input: Partial<{ name: string; description: string; price: string; category: string }> = {}) {
  const res = await user.client.request(CreateProductDocument, {
    input: { name: 'Headphones', description: 'Wireless', price: '59.90', category: 'audio', ...input },
  });
  return expectData(res).createProduct;
}

export async function createWarehouse(user: TestUser, name = 'Main DC') {
  return expectData(await user.client.request(CreateWarehouseDocument, { input: { name, location: 'Jakarta' } })).createWarehouse;
}

export async function setStock(user: TestUser, warehouseId: string, productId: string, onHand: number) {
  return expectData(await user.client.request(SetStockDocument, { input: { warehouseId, productId, onHand } })).setStock;
}

/**
 * A cart hold as the cart service makes one (cart line, hold row, RESERVATION through stock-store),
 * written straight to the database so these suites do not depend on the cart API.
 */
export async function holdStock(server: TestServer, opts: { userId: string; productId: string; quantity: number; expiresAtMs: number }) {
  await server.app.orm.em.fork().transactional(async (em) => {
    const cart = (await em.findOne(Cart, { user: Number(opts.userId) })) ?? em.create(Cart, { user: Number(opts.userId) });
    const item = em.create(CartItem, { cart, product: Number(opts.productId), quantity: opts.quantity, unitPrice: '1.00' });
    await em.flush();
    const allocations = await allocateStock(sqlFor(em), { productId: Number(opts.productId), quantity: opts.quantity, mode: 'hold', actorId: Number(opts.userId) });
    for (const a of allocations) await insertHold(sqlFor(em), { cartItemId: item.id, stockId: a.stockId, quantity: a.quantity, expiresAtMs: opts.expiresAtMs });
  });
}

/** An order that sold `quantity` of a product (SALE through stock-store), written straight to the database. */
export async function placeOrder(server: TestServer, opts: { userId: string; productId: string; quantity: number; status: OrderStatus }) {
  return server.app.orm.em.fork().transactional(async (em) => {
    const order = em.create(Order, {
      user: Number(opts.userId),
      status: opts.status,
      totalPrice: '1.00',
      shippingCost: '0.00',
      idempotencyKey: randomUUID(),
      requestHash: 'x'.repeat(64),
    });
    await em.flush();
    const allocations = await allocateStock(sqlFor(em), {
      productId: Number(opts.productId),
      quantity: opts.quantity,
      mode: 'sell',
      actorId: Number(opts.userId),
      orderId: order.id,
    });
    for (const a of allocations) {
      em.create(OrderLine, { order, product: Number(opts.productId), warehouse: a.warehouseId, stock: a.stockId, quantity: a.quantity, unitPrice: '1.00', subtotal: '1.00' });
    }
    await em.flush();
    return order.id;
  });
}

export { OrderStatus, StockMovementKind };

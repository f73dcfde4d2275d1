import { AddToCartDocument, RemoveFromCartDocument, UpdateCartItemDocument } from '../generated/cart';
import { codeOf, countRows, createStockedProduct, createUsers, createWarehouse, readStockRow, setStockLevel, tally, useCluster } from '../kit';

/**
 * Shoppers change their lines of one scarce product at once, across the cluster's server
 * processes: every change of a line plans against the stock rows it read with the line, so the
 * guarded writes alone decide who gets the last units. Split over two warehouses, so growth that
 * spans rows and a shrink that gives back from both are raced too.
 */

describe('cart lines changed at once', () => {
  const cluster = useCluster({ audit: 'afterEach' });

  it('parallel growth holds exactly what is on hand, and parallel shrinking and removal give it all back', async () => {
    const BUYERS = 8;
    const { productId, stockId, ownerId } = await createStockedProduct(cluster.server, { onHand: 9 });
    const secondStock = await setStockLevel(cluster.server, { warehouseId: await createWarehouse(cluster.server, { ownerId }), productId, onHand: 11 });
    const buyers = await createUsers(cluster.server, BUYERS, { prefix: 'grow' });
    const held = async () => (await readStockRow(cluster.server, stockId)).reserved + (await readStockRow(cluster.server, secondStock)).reserved;

    const items = await Promise.all(
      buyers.map(async (buyer, i) => {
        const res = await cluster.clientFor(buyer, i).request(AddToCartDocument, { input: { productId: String(productId), quantity: 1 } });
        return res.data!.addToCart.items[0].id;
      }),
    );
    expect(await held()).toBe(BUYERS);

    // 12 units are free; each buyer asks for 3 more: exactly 4 can have them.
    const grown = await Promise.all(buyers.map((buyer, i) => cluster.clientFor(buyer, i + 1).request(UpdateCartItemDocument, { input: { itemId: items[i], quantity: 4 } })));
    expect(tally(grown.map(codeOf))).toEqual({ ok: 4, INSUFFICIENT_STOCK: 4 });
    for (const res of grown) {
      if (!res.errors) expect(res.data!.updateCartItem.items[0].quantity).toBe(4);
    }
    expect(await readStockRow(cluster.server, stockId)).toMatchObject({ onHand: 9, reserved: 9 });
    expect(await readStockRow(cluster.server, secondStock)).toMatchObject({ onHand: 11, reserved: 11 });

    // The winners shrink to 1 while the others remove their lines.
    const changed = await Promise.all(
      buyers.map((buyer, i) => {
        const client = cluster.clientFor(buyer, i);
        return grown[i].errors
          ? client.request(RemoveFromCartDocument, { itemId: items[i] })
          : client.request(UpdateCartItemDocument, { input: { itemId: items[i], quantity: 1 } });
      }),
    );
    expect(tally(changed.map(codeOf))).toEqual({ ok: BUYERS });
    expect(await held()).toBe(4);

    const removed = await Promise.all(
      buyers.flatMap((buyer, i) => (grown[i].errors ? [] : [cluster.clientFor(buyer, i + 1).request(UpdateCartItemDocument, { input: { itemId: items[i], quantity: 0 } })])),
    );
    expect(tally(removed.map(codeOf))).toEqual({ ok: 4 });
    expect(await readStockRow(cluster.server, stockId)).toMatchObject({ onHand: 9, reserved: 0 });
    expect(await readStockRow(cluster.server, secondStock)).toMatchObject({ onHand: 11, reserved: 0 });
    expect(await countRows(cluster.server, 'stock_holds')).toBe(0);
  });
});

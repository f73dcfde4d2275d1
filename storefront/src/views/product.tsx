import { useMutation, useQuery } from '@apollo/client/react';
import { useCallback, useState } from 'react';
import { messageFor } from '../errors';
import { AddToCartDocument, BuyNowDocument, ProductDetailDocument } from '../gql/graphql';
import { useIdempotentAction } from '../idempotency';
import { getToken } from '../session';
import { useLiveAvailability } from './live-stock';
import { Availability, Price, SaleBadge } from './products';

const MAX_QUANTITY = 10; // the server's default MAX_HOLD_PER_PRODUCT: a larger quantity is refused there anyway

/** One product: live availability, Add to cart, and Buy now (one order per click, whatever happens). */
export function ProductPage({ id }: { id: string }) {
  const { data, loading, error } = useQuery(ProductDetailDocument, { variables: { id } });
  useLiveAvailability(id);
  const [quantity, setQuantity] = useState(1);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [addToCart, adding] = useMutation(AddToCartDocument);
  const [buyNow] = useMutation(BuyNowDocument);

  const buy = useCallback(
    (idempotencyKey: string) => buyNow({ variables: { input: { productId: id, quantity, idempotencyKey } } }),
    [buyNow, id, quantity],
  );
  const purchase = useIdempotentAction(buy);

  if (loading && !data) return <p className="muted">Loading…</p>;
  if (error) return <p className="message" role="alert">{messageFor(error)}</p>;
  const product = data?.product;
  if (!product) return <p className="message" role="alert">This product does not exist (any more).</p>;
  const signedIn = getToken() !== null;

  async function onBuy() {
    setNotice(null);
    try {
      const result = await purchase.run();
      const order = result?.data?.buyNow;
      if (order) setNotice({ kind: 'ok', text: `Order #${order.id} placed: ${order.totalPrice}` });
    } catch (err) {
      setNotice({ kind: 'error', text: messageFor(err) });
    }
  }

  async function onAdd() {
    setNotice(null);
    try {
      await addToCart({ variables: { input: { productId: id, quantity } } });
      setNotice({ kind: 'ok', text: `Added to your cart: ${quantity} × ${product!.name}` });
    } catch (err) {
      setNotice({ kind: 'error', text: messageFor(err) });
    }
  }

  return (
    <section className="panel product" data-product-id={product.id}>
      <p><a href="#/">← All products</a></p>
      <span className="category">{product.category}</span>
      <h2>{product.name}</h2>
      <p>{product.description}</p>
      <p><Price product={product} big /></p>
      <p><SaleBadge sale={product.flashSale} /> <Availability available={product.available} /></p>
      {signedIn ? (
        <div className="actions">
          <label>
            Quantity
            <select name="quantity" value={quantity} onChange={(e) => setQuantity(Number(e.target.value))}>
              {Array.from({ length: MAX_QUANTITY }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>{n}</option>
              ))}
            </select>
          </label>
          <button onClick={onAdd} disabled={adding.loading}>Add to cart</button>
          <button className="primary" onClick={onBuy} disabled={purchase.pending} aria-busy={purchase.pending}>
            {purchase.pending ? 'Buying…' : 'Buy now'}
          </button>
        </div>
      ) : (
        <p><a href="#/signin">Sign in</a> to buy.</p>
      )}
      {notice && (
        <p className={notice.kind === 'ok' ? 'notice' : 'message'} role={notice.kind === 'ok' ? 'status' : 'alert'}>
          {notice.text}
        </p>
      )}
    </section>
  );
}

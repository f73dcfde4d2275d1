import { useMutation, useQuery } from '@apollo/client/react';
import { useCallback, useEffect, useState } from 'react';
import { messageFor } from '../errors';
import { CartDocument, CheckoutDocument, RemoveFromCartDocument, UpdateCartItemDocument, type CartViewFragment } from '../gql/graphql';
import { useIdempotentAction } from '../idempotency';

/** Re-renders every second while mounted: the countdowns tick. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function Countdown({ until, now }: { until: string | null; now: number }) {
  if (until === null) return <span className="hold expired" data-testid="hold">Hold released: the stock is no longer reserved</span>;
  const left = Math.ceil((Date.parse(until) - now) / 1000);
  if (left <= 0) return <span className="hold expired" data-testid="hold">Hold expired: checkout buys only if stock is still there</span>;
  const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  return <span className="hold" data-testid="hold">Held for {text}</span>;
}

function CartLines({ cart, now, onError }: { cart: CartViewFragment; now: number; onError: (text: string) => void }) {
  const [update, updating] = useMutation(UpdateCartItemDocument);
  const [remove, removing] = useMutation(RemoveFromCartDocument);
  const busy = updating.loading || removing.loading;
  const run = (p: Promise<unknown>) => p.catch((err: unknown) => onError(messageFor(err)));
  return (
    <ul className="lines">
      {cart.items.map((item) => (
        <li key={item.id} className="line" data-item-id={item.id}>
          <div>
            <strong>{item.product.name}</strong>
            <span className="muted"> · {item.unitPrice} each · {item.subtotal}</span>
            <div><Countdown until={item.reservedUntil} now={now} /></div>
          </div>
          <div className="line-actions">
            <button aria-label="One less" disabled={busy} onClick={() => run(update({ variables: { input: { itemId: item.id, quantity: item.quantity - 1 } } }))}>−</button>
            <span className="qty" data-testid="quantity">{item.quantity}</span>
            <button aria-label="One more" disabled={busy} onClick={() => run(update({ variables: { input: { itemId: item.id, quantity: item.quantity + 1 } } }))}>+</button>
            <button className="link" disabled={busy} onClick={() => run(remove({ variables: { itemId: item.id } }))}>Remove</button>
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The cart: each hold's countdown to reservedUntil, quantity changes, removal, checkout. */
export function CartPage() {
  const { data, loading, error, refetch } = useQuery(CartDocument, { fetchPolicy: 'cache-and-network' });
  const now = useNow();
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [checkout] = useMutation(CheckoutDocument, { refetchQueries: [CartDocument], awaitRefetchQueries: true });
  const place = useIdempotentAction(
    useCallback((idempotencyKey: string) => checkout({ variables: { input: { idempotencyKey } } }), [checkout]),
  );

  if (loading && !data) return <p className="muted">Loading your cart…</p>;
  if (error) return <p className="message" role="alert">{messageFor(error)}</p>;
  const cart = data!.cart;

  async function onCheckout() {
    setNotice(null);
    try {
      const result = await place.run();
      const order = result?.data?.checkout;
      if (order) setNotice({ kind: 'ok', text: `Order #${order.id} placed: ${order.totalPrice}` });
    } catch (err) {
      setNotice({ kind: 'error', text: messageFor(err) });
      void refetch();
    }
  }

  return (
    <section className="panel">
      <h2>Your cart</h2>
      {cart.items.length === 0 ? (
        <p className="muted">Your cart is empty.</p>
      ) : (
        <>
          <CartLines cart={cart} now={now} onError={(text) => setNotice({ kind: 'error', text })} />
          <p className="total">Total <strong>{cart.total}</strong></p>
          <button className="primary" onClick={onCheckout} disabled={place.pending}>
            {place.pending ? 'Placing the order…' : 'Checkout'}
          </button>
        </>
      )}
      {notice && (
        <p className={notice.kind === 'ok' ? 'notice' : 'message'} role={notice.kind === 'ok' ? 'status' : 'alert'}>
          {notice.text}
        </p>
      )}
    </section>
  );
}

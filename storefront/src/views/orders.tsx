import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { messageFor } from '../errors';
import { CancelOrderDocument, MyOrdersDocument } from '../gql/graphql';

const PAGE_SIZE = 20;

/** The buyer's orders with their statuses; a PENDING one can be cancelled (its stock goes back). */
export function OrdersPage() {
  const { data, loading, error, fetchMore } = useQuery(MyOrdersDocument, { variables: { first: PAGE_SIZE }, fetchPolicy: 'cache-and-network' });
  const [cancel, cancelling] = useMutation(CancelOrderDocument);
  const [message, setMessage] = useState<string | null>(null);

  if (loading && !data) return <p className="muted">Loading your orders…</p>;
  if (error) return <p className="message" role="alert">{messageFor(error)}</p>;
  const page = data!.orders;

  return (
    <section className="panel">
      <h2>Your orders <span className="muted">({page.totalCount})</span></h2>
      {message && <p className="message" role="alert">{message}</p>}
      {page.edges.length === 0 && <p className="muted">No orders yet.</p>}
      <ul className="lines">
        {page.edges.map(({ node: order }) => (
          <li key={order.id} className="line" data-order-id={order.id}>
            <div>
              <strong>Order #{order.id}</strong> <span className={`status ${order.status.toLowerCase()}`}>{order.status}</span>
              <div className="muted">
                {order.lines.map((l) => `${l.quantity} × ${l.product.name}`).join(', ')} · {order.totalPrice}
              </div>
            </div>
            {order.status === 'PENDING' && (
              <button
                className="link"
                disabled={cancelling.loading}
                onClick={() => cancel({ variables: { id: order.id } }).then(() => setMessage(null), (err: unknown) => setMessage(messageFor(err)))}
              >
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
      {page.pageInfo.hasNextPage && (
        <button
          onClick={() =>
            fetchMore({
              variables: { after: page.pageInfo.endCursor },
              updateQuery: (prev, { fetchMoreResult }) => ({
                orders: { ...fetchMoreResult.orders, edges: [...prev.orders.edges, ...fetchMoreResult.orders.edges] },
              }),
            })
          }
        >
          More
        </button>
      )}
    </section>
  );
}

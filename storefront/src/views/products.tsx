import { useQuery } from '@apollo/client/react';
import { ProductsDocument, type ProductCardFragment } from '../gql/graphql';
import { navigate } from '../router';
import { useLiveAvailability } from './live-stock';

const PAGE_SIZE = 8; // under the server's 10 live subscriptions per connection (one per card)

function Availability({ available }: { available: number }) {
  if (available <= 0) return <span className="badge sold-out">Sold out</span>;
  return <span className="badge" data-testid="available">{available} left</span>;
}

function ProductCard({ product }: { product: ProductCardFragment }) {
  useLiveAvailability(product.id);
  return (
    <li className="card" data-product-id={product.id}>
      <a href={`#/product/${encodeURIComponent(product.id)}`}>
        <span className="category">{product.category}</span>
        <h3>{product.name}</h3>
        <span className="price">{product.price}</span>
        <Availability available={product.available} />
      </a>
    </li>
  );
}

/** The catalog, a page at a time, each card with its live sellable quantity. */
export function Products({ after }: { after: string | null }) {
  const { data, loading, error } = useQuery(ProductsDocument, { variables: { first: PAGE_SIZE, after } });
  if (loading && !data) return <p className="muted">Loading products…</p>;
  if (error) return <p className="message" role="alert">Could not load the products: {error.message}</p>;
  const page = data!.products;
  return (
    <section>
      <h2>Products <span className="muted">({page.totalCount})</span></h2>
      <ul className="grid">
        {page.edges.map(({ node }) => (
          <ProductCard key={node.id} product={node} />
        ))}
      </ul>
      <nav className="pager">
        {after && <button onClick={() => window.history.back()}>Previous</button>}
        {page.pageInfo.hasNextPage && page.pageInfo.endCursor && (
          <button onClick={() => navigate(`#/?after=${encodeURIComponent(page.pageInfo.endCursor!)}`)}>Next</button>
        )}
      </nav>
    </section>
  );
}

export { Availability };

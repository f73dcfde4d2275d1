import { useQuery } from '@apollo/client/react';
import { ProductsDocument, type ProductCardFragment, type SaleInfoFragment } from '../gql/graphql';
import { navigate } from '../router';
import { useLiveAvailability } from './live-stock';

const PAGE_SIZE = 8; // under the server's 10 live subscriptions per connection (one per card)

function Availability({ available }: { available: number }) {
  if (available <= 0) return <span className="badge sold-out">Sold out</span>;
  return <span className="badge" data-testid="available">{available} left</span>;
}

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Whether the sale price applies now: the server's rule (Product.currentPrice), kept live by stockChanged. */
const saleApplies = (sale: SaleInfoFragment | null | undefined): sale is SaleInfoFragment =>
  !!sale && sale.status === 'RUNNING' && (sale.quotaRemaining === null || sale.quotaRemaining > 0);

/** The price a buyer pays now: the running sale's while its quota lasts, the regular one struck through beside it. */
function Price({ product, big }: { product: ProductCardFragment; big?: boolean }) {
  const sale = product.flashSale;
  if (!saleApplies(sale)) return <span className={big ? 'price big' : 'price'}>{product.price}</span>;
  return (
    <span className={big ? 'price big' : 'price'}>
      <span className="sale-price" data-testid="sale-price">{sale.salePrice}</span> <s className="muted">{product.price}</s>
    </span>
  );
}

/** The product's flash sale as a buyer needs it: when, how many left at the sale price, how many per buyer. */
function SaleBadge({ sale }: { sale: SaleInfoFragment | null | undefined }) {
  if (!sale || (sale.status !== 'RUNNING' && sale.status !== 'UPCOMING')) return null;
  const limit = sale.perBuyerLimit ? ` · ${sale.perBuyerLimit} per buyer` : '';
  if (sale.status === 'UPCOMING') {
    return <span className="badge sale upcoming" data-testid="sale">Sale {sale.salePrice} from {clock(sale.startsAt)}{limit}</span>;
  }
  if (sale.quotaRemaining === 0) return <span className="badge sale over" data-testid="sale">Sale price sold out</span>;
  const left = sale.quotaRemaining === null ? '' : ` · ${sale.quotaRemaining} left at this price`;
  return <span className="badge sale" data-testid="sale">Flash sale until {clock(sale.endsAt)}{left}{limit}</span>;
}

function ProductCard({ product }: { product: ProductCardFragment }) {
  useLiveAvailability(product.id);
  return (
    <li className="card" data-product-id={product.id}>
      <a href={`#/product/${encodeURIComponent(product.id)}`}>
        <span className="category">{product.category}</span>
        <h3>{product.name}</h3>
        <Price product={product} />
        <SaleBadge sale={product.flashSale} />
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

export { Availability, Price, SaleBadge };

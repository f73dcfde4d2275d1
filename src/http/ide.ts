import fs from 'node:fs';
import path from 'node:path';

/**
 * The in-browser IDE (GraphiQL), served entirely from this process: its scripts and styles come
 * from node_modules, so it works on a machine with no internet access.
 */
// A Map, not a plain object: `/ide/constructor` must not find Object.prototype's members.
const ASSETS = new Map<string, { file: string; type: string }>(Object.entries({
  'react.js': { file: 'react/umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { file: 'react-dom/umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { file: 'graphiql/graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { file: 'graphiql/graphiql.min.css', type: 'text/css' },
}));

/**
 * The IDE's first document: the README's operations, each named so that the run button offers
 * them one by one. New tabs start with it too.
 */
const EXAMPLE_OPERATIONS = `# Flash-sale inventory API: the README's example operations.
# Run one with the run button (it lists them) or with Ctrl-Enter inside it.
#
# 1. Run Login (demo accounts are in the README) and copy the token.
# 2. Open the Headers tab below and paste
#      {"Authorization": "Bearer <token>"}
#    The headers go with every request, and over the WebSocket (as connectionParams) with the
#    subscription. Headers belong to a tab: paste them again in a new tab.
# 3. Run StockChanged: it keeps running and shows every change of the level. Make one in a
#    second tab (+, then BuyNow) or with curl, and watch it arrive.

mutation Login {
  login(input: { email: "buyer@example.com", password: "buyer-password-1" }) {
    token
    user { id name }
  }
}

query Products {
  products(first: 10) {
    totalCount
    edges { node { id name price category available } }
  }
}

mutation AddToCart {
  addToCart(input: { productId: "1", quantity: 2 }) {
    total
    items { product { name } quantity reservedUntil }
  }
}

# An idempotency key names one purchase: sending the same key again returns the FIRST order
# (by design: a retry after a timeout never buys twice). Change the key for a new order.
mutation Checkout {
  checkout(input: { idempotencyKey: "checkout-1", shippingCost: "5.00" }) {
    id status totalPrice
    lines { product { name } quantity unitPrice }
  }
}

mutation BuyNow {
  buyNow(input: { productId: "3", quantity: 1, idempotencyKey: "buy-now-1" }) {
    id status totalPrice
  }
}

subscription StockChanged {
  stockChanged(productId: "3") { productId available }
}
`;

// Subscriptions go over graphql-ws (protocol graphql-transport-ws) on this same path: GraphiQL's
// bundle carries the graphql-ws client, and with `subscriptionUrl` its fetcher opens a
// connection per subscription whose connectionParams are the tab's Headers.
const INIT_SCRIPT = `(function () {
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + location.pathname;
  var fetcher = GraphiQL.createFetcher({ url: location.pathname, subscriptionUrl: wsUrl });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: ${JSON.stringify(EXAMPLE_OPERATIONS)},
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: true
  }));
})();`;

export const IDE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Flash-sale inventory · GraphQL IDE</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ide/graphiql.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the IDE…</div>
<script src="/ide/react.js"></script>
<script src="/ide/react-dom.js"></script>
<script src="/ide/graphiql.js"></script>
<script src="/ide/init.js"></script>
</body>
</html>
`;

const cache = new Map<string, Buffer>();

/** Returns the asset for `/ide/<name>`, or null when there is no such asset. */
export function ideAsset(name: string): { body: Buffer; type: string } | null {
  if (name === 'init.js') return { body: Buffer.from(INIT_SCRIPT), type: 'text/javascript' };
  const asset = ASSETS.get(name);
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    const [pkg, ...rest] = asset.file.split('/');
    // Resolve the package folder through its package.json: some packages do not export their umd/ files.
    body = fs.readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), ...rest));
    cache.set(name, body);
  }
  return { body, type: asset.type };
}

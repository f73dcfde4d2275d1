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

const DEFAULT_QUERY = `# Flash-sale inventory API.
# Sign in with a demo account (see the README):
#   mutation {
#     login(input: { email: "buyer@example.com",
#                    password: "buyer-password-1" }) { token }
#   }
# then put the token into the Headers tab:
#   {"Authorization": "Bearer <token>"}

query Catalog {
  products(first: 10) {
    totalCount
    edges { node { id name price category available } }
  }
}
`;

const INIT_SCRIPT = `(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
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

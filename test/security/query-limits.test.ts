import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getOperationAST,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  Lexer,
  parse,
  print,
  separateOperations,
  Source,
  TokenKind,
  typeFromAST,
  validate,
  type DocumentNode,
  type GraphQLInputType,
} from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/env';
import { createQueryArmor } from '../../src/graphql/armor';
import { queryCost } from '../../src/graphql/cost';
import {
  createProduct,
  createStockedProduct,
  createUser,
  createWarehouse,
  expectData,
  type GraphQLResponse,
  setStockLevels,
  TEST_SECRETS,
  type TestServer,
  type TestUser,
  useServer,
  withServer,
} from '../kit';
import { codes, dbSnapshot } from './support';

const root = path.join(__dirname, '..', '..');
const DEFAULTS = loadConfig({}).config.graphqlLimits;

const server = useServer();
let seller: TestUser;
let productId: number;

beforeAll(async () => {
  seller = await createUser(server);
  ({ productId } = await createStockedProduct(server, { onHand: 10, ownerId: seller.id }));
});

/** Sends one operation over the WebSocket transport and collects what comes back. */
async function overWebSocket(
  url: string,
  query: string,
  options: { variables?: Record<string, unknown>; token?: string } = {},
): Promise<{ data?: unknown; errors?: { message: string; extensions?: { code?: string; limit?: number } }[] }> {
  const client = createClient({
    url: url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
  });
  try {
    return await new Promise((resolve, reject) => {
      let result: { data?: unknown } = {};
      client.subscribe(
        { query, variables: options.variables },
        {
          next: (value) => (result = value as { data?: unknown }),
          error: (errors) => (Array.isArray(errors) ? resolve({ errors }) : reject(errors)),
          complete: () => resolve(result),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/** A 400 whose errors are all GRAPHQL_VALIDATION_FAILED, one of them saying `message`; no data at all. */
function expectRefused(res: GraphQLResponse<unknown>, message: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.errors?.length).toBeGreaterThan(0);
  expect(new Set(codes(res))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  expect(res.errors!.some((e) => message.test(e.message))).toBe(true);
  expect(res.data).toBeUndefined();
}

const nest = (levels: number) => {
  // product → stocks → warehouse → stocks → product → … : a real cycle of the schema.
  let inner = 'id';
  // One stock per level: the depth is what is measured here, not the cost (see "the nested alias bomb").
  for (let i = 0; i < levels; i += 1) inner = i % 2 === 0 ? `stocks(first: 1) { ${inner} }` : `warehouse { ${inner} }`;
  return inner;
};

const schema = buildSchema(fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8'));

/** A value of the given input type: required fields filled in, lists empty. */
function placeholder(type: GraphQLInputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [];
  if (isEnumType(inner)) return inner.getValues()[0].value;
  if (isInputObjectType(inner)) {
    return Object.fromEntries(Object.values(inner.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, placeholder(f.type)]));
  }
  return { Int: 1, Boolean: false, Decimal: '1.00' }[inner.name] ?? '1';
}

/** Measures of a document as the server counts them: graphql-armor's depth, aliases and directives, our cost. */
function measure(document: DocumentNode) {
  const out = { depth: 0, aliases: 0, directives: 0, cost: 0, tokens: 0 };
  const take = (key: keyof typeof out) => [(_ctx: unknown, details: { n: number }) => (out[key] = details.n)];
  const errors = validate(schema, document, [
    maxDepthRule({ n: 1e9, flattenFragments: true, onAccept: take('depth') }),
    maxAliasesRule({ n: 1e9, onAccept: take('aliases') }),
    maxDirectivesRule({ n: 1e9, onAccept: take('directives') }),
  ]);
  expect(errors).toEqual([]);
  // Priced with placeholders for its required variables only, so an omitted `first` counts as its default.
  const variables: Record<string, unknown> = {};
  for (const def of getOperationAST(document)?.variableDefinitions ?? []) {
    if (def.type.kind === Kind.NON_NULL_TYPE) variables[def.variable.name.value] = placeholder(typeFromAST(schema, def.type)!);
  }
  out.cost = queryCost(schema, document, variables);
  const lexer = new Lexer(new Source(print(document)));
  while (lexer.advance().kind !== TokenKind.EOF) out.tokens += 1;
  return out;
}

describe('the real operations (test/operations/*.graphql)', () => {
  const files = fs.readdirSync(path.join(root, 'test', 'operations')).filter((f) => f.endsWith('.graphql'));
  const operations = files.flatMap((file) =>
    Object.entries(separateOperations(parse(fs.readFileSync(path.join(root, 'test', 'operations', file), 'utf8')))).map(
      ([name, document]) => [`${file} ${name}`, document] as const,
    ),
  );

  it('are all measured (the table is not empty)', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it.each(operations)('%s stays within half of every default limit', (_name, document) => {
    const m = measure(document);
    expect(m.depth).toBeLessThanOrEqual(DEFAULTS.maxDepth / 1.5);
    expect(m.aliases).toBeLessThanOrEqual(DEFAULTS.maxAliases / 2);
    expect(m.directives).toBeLessThanOrEqual(DEFAULTS.maxDirectives / 2);
    expect(m.cost).toBeLessThanOrEqual(DEFAULTS.maxCost / 5);
    expect(m.tokens).toBeLessThanOrEqual(DEFAULTS.maxTokens / 10);
    // And the server's own rules accept it.
    const armor = createQueryArmor(loadConfig({}).config, schema);
    expect(validate(schema, document, armor.validationRules)).toEqual([]);
    expect(armor.tokenLimitError(print(document))).toBeNull();
  });
});

describe('document limits (defaults)', () => {
  it('a query deeper than GRAPHQL_MAX_DEPTH (10) is refused', async () => {
    const ok = await server.client.withToken(seller.token).raw({ query: `{ product(id: "${productId}") { ${nest(7)} } }` }); // depth 9
    expect(ok.errors).toBeUndefined();
    expectRefused(await server.client.withToken(seller.token).raw({ query: `{ product(id: "${productId}") { ${nest(9)} } }` }), /depth limit of 10/i);
  });

  it('more than GRAPHQL_MAX_ALIASES (15) aliases are refused (__typename aliases are free)', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ');
    expect((await server.client.raw({ query: `{ ${fields(15)} t1: __typename t2: __typename }` })).errors).toBeUndefined();
    expectRefused(await server.client.raw({ query: `{ ${fields(16)} }` }), /aliases limit of 15/i);
  });

  it('more than GRAPHQL_MAX_DIRECTIVES (20) directives are refused', async () => {
    const fields = (n: number) => Array.from({ length: n }, () => '__typename @include(if: true)').join(' ');
    expect((await server.client.raw({ query: `{ ${fields(20)} }` })).errors).toBeUndefined();
    expectRefused(await server.client.raw({ query: `{ ${fields(21)} }` }), /directives limit of 20/i);
  });

  it('more than GRAPHQL_MAX_TOKENS (1000) tokens are refused before parsing', async () => {
    // `query Qn { me { id } }` is 8 tokens: 125 of them make exactly 1000.
    const operations = (n: number) => Array.from({ length: n }, (_, i) => `query Q${i} { me { id } }`).join('\n');
    expect(await server.client.raw({ query: operations(125), operationName: 'Q7' })).toMatchObject({ status: 200, data: { me: null } });
    expectRefused(await server.client.raw({ query: operations(126), operationName: 'Q7' }), /token limit of 1000/i);
    // Also for a GET query.
    const res = await fetch(`${server.url}/graphql?operationName=Q7&query=${encodeURIComponent(operations(126))}`, { headers: { 'apollo-require-preflight': '1' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a query costing more than GRAPHQL_MAX_COST (5000) is refused; the same page of 20 is fine', async () => {
    // 100 products × 20 stocks each with their warehouse: 6601; the same with 20 products: 1321.
    const page = (first: number) =>
      `{ products(first: ${first}) { edges { node { id name description price category available totalOrdered createdAt updatedAt owner { id name } stocks(first: 20) { id onHand warehouse { id name } } } } } }`;
    expect((await server.client.raw({ query: page(20) })).errors).toBeUndefined();
    expectRefused(await server.client.raw({ query: page(100) }), /cost 6601 exceeds the cost limit of 5000/i);
  });

  it('a refused mutation runs no resolver: an aliased flood of writes changes nothing', async () => {
    const api = server.client.withToken(seller.token);
    const before = await dbSnapshot(server);
    const creates = Array.from({ length: 16 }, (_, i) => `w${i}: createWarehouse(input: { name: "flood ${i}" }) { id }`).join(' ');
    expectRefused(await api.raw({ query: `mutation { ${creates} }` }), /aliases limit/i);
    const buys = Array.from({ length: 16 }, (_, i) => `b${i}: buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "flood-${i}" }) { id }`).join(' ');
    expectRefused(await api.raw({ query: `mutation { ${buys} }` }), /aliases limit/i);
    const deep = `mutation { buyNow(input: { productId: "${productId}", quantity: 1, idempotencyKey: "deep" }) { lines { product { ${nest(8)} } } } }`;
    expectRefused(await api.raw({ query: deep }), /depth limit/i);
    const registers = Array.from({ length: 16 }, (_, i) => `r${i}: register(input: { email: "flood${i}@example.com", password: "flood password", name: "F" }) { token }`).join(' ');
    expectRefused(await server.client.raw({ query: `mutation { ${registers} }` }), /aliases limit/i);
    const long = `mutation { createProduct(input: { name: "x", price: "1.00", category: "c" }) { id ${Array.from({ length: 1000 }, () => 'name').join(' ')} } }`;
    expectRefused(await api.raw({ query: long }), /token limit/i);
    expect(await dbSnapshot(server)).toEqual(before);
    const rateRows = await server.em().execute<{ n: number }[]>('SELECT COUNT(*) AS n FROM rate_limits');
    expect(Number(rateRows[0].n)).toBe(0); // not even a write-limit attempt was counted
  });

  it('the same limits hold over the WebSocket transport', async () => {
    const deep = await overWebSocket(server.url, `{ product(id: "${productId}") { ${nest(9)} } }`);
    expect(deep.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deep.errors?.[0]?.message).toMatch(/depth limit/i);
    const aliases = await overWebSocket(server.url, `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __schema { queryType { name } }`).join(' ')} }`);
    expect(aliases.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const tokens = await overWebSocket(server.url, `{ me { ${Array.from({ length: 1000 }, () => 'id').join(' ')} } }`);
    expect(tokens.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(tokens.errors?.[0]?.message).toMatch(/token limit/i);
    const fine = await overWebSocket(server.url, `{ product(id: "${productId}") { id available } }`);
    expect(fine).toEqual({ data: { product: { id: String(productId), available: 10 } } });
  });
});

describe('query cost: every list priced by its size, `first` literal or variable', () => {
  const STOREFRONT = `query Storefront($n: Int) { products(first: $n) {
    edges { node { id name description price category createdAt updatedAt available owner { id name } } }
    pageInfo { hasNextPage endCursor } totalCount } }`;

  it('a storefront page of 100 products with ten fields and the owner passes at the default cost limit', async () => {
    const query = STOREFRONT.replace('$n: Int', '').replace('first: $n', 'first: 100').replace('query Storefront()', 'query Storefront');
    expect(queryCost(schema, parse(query))).toBe(601);
    for (const body of [{ query }, { query: STOREFRONT, variables: { n: 100 } }]) {
      const res = await server.client.raw(body);
      expect(res.errors).toBeUndefined();
      const products = (res.data as { products: { edges: unknown[]; totalCount: number } }).products;
      expect(products.edges).toHaveLength(Math.min(products.totalCount, 100));
    }
  });

  it('`first` as a variable is priced like the same literal (and an omitted `first` as 20)', async () => {
    const stocked = (first: string) =>
      `query P${first === '$n' ? '($n: Int)' : ''} { products(first: ${first}) { edges { node { id stocks(first: 20) { id onHand warehouse { id name } } } } } }`;
    const costs = (first: string, n?: number) => queryCost(schema, parse(stocked(first)), n === undefined ? {} : { n });
    expect(costs('100')).toBe(costs('$n', 100));
    expect(costs('20')).toBe(costs('$n', 20));
    expect(costs('$n')).toBe(costs('20'));
    expect(costs('100')).toBeGreaterThan(DEFAULTS.maxCost);
    expect(costs('20')).toBeLessThan(DEFAULTS.maxCost);
    expectRefused(await server.client.raw({ query: stocked('100') }), /cost limit of 5000/i);
    expectRefused(await server.client.raw({ query: stocked('$n'), variables: { n: 100 } }), /cost limit of 5000/i);
    expect((await server.client.raw({ query: stocked('$n'), variables: { n: 20 } })).errors).toBeUndefined();
    expect((await server.client.raw({ query: stocked('$n') })).errors).toBeUndefined();
    // Costs are remembered per document and sizes: the same document is priced by this request's `first` again.
    expectRefused(await server.client.raw({ query: stocked('$n'), variables: { n: 100 } }), /cost limit of 5000/i);
    expect((await server.client.raw({ query: stocked('$n'), variables: { n: 20 } })).errors).toBeUndefined();
    // Out of range, it is the resolver's BAD_USER_INPUT (priced as 100, the most it could be).
    const tooMany = await server.client.raw({ query: 'query($n: Int) { products(first: $n) { totalCount } }', variables: { n: 101 } });
    expect(codes(tooMany)).toEqual(['BAD_USER_INPUT']);
  });

  describe('the nested alias bomb (15 aliases × warehouse { stocks { warehouse { stocks { warehouse { stocks } } } } })', () => {
    let warehouseId: number;
    beforeAll(async () => {
      warehouseId = await createWarehouse(server, { ownerId: seller.id });
      const products: number[] = [];
      for (let i = 0; i < 5; i += 1) products.push(await createProduct(server, { ownerId: seller.id }));
      await setStockLevels(server, products.map((productId) => ({ warehouseId, productId, onHand: 1 })));
    });
    const bomb = (first: string) => {
      const stocks = (inner: string) => `stocks${first ? `(first: ${first})` : ''} { ${inner} }`;
      const shape = `warehouse(id: $w) { ${stocks(`warehouse { ${stocks(`warehouse { ${stocks('id onHand')} }`)} }`)} }`;
      return `query Bomb($w: ID!${first === '$n' ? ', $n: Int' : ''}) { ${Array.from({ length: 15 }, (_, i) => `a${i}: ${shape}`).join(' ')} }`;
    };
    const cases: [string, string, number | undefined][] = [
      ['first omitted (100 by default)', '', undefined],
      ['a literal first: 100', '100', undefined],
      ['a variable first: $n = 100', '$n', 100],
    ];

    it.each(cases)('is refused over HTTP and WebSocket before any resolver runs, with %s', async (_label, first, n) => {
      const variables = { w: String(warehouseId), ...(n === undefined ? {} : { n }) };
      const findWarehouse = jest.spyOn(server.app.services.warehouses, 'findWarehouse');
      const stocksOf = jest.spyOn(server.app.services.warehouses, 'stocksOf');
      try {
        const res = await seller.client.raw({ query: bomb(first), variables });
        expectRefused(res, /Query cost \d+ exceeds the cost limit of 5000/);
        const ws = await overWebSocket(server.url, bomb(first), { variables, token: seller.token });
        expect(ws.data).toBeUndefined();
        expect(ws.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        expect(ws.errors?.[0]?.message).toMatch(/Query cost \d+ exceeds the cost limit of 5000/);
        expect(findWarehouse).not.toHaveBeenCalled();
        expect(stocksOf).not.toHaveBeenCalled();
      } finally {
        findWarehouse.mockRestore();
        stocksOf.mockRestore();
      }
    });

    it('the same shape with first: $n = 1 is cheap, and runs', async () => {
      const res = await seller.client.raw({ query: bomb('$n'), variables: { w: String(warehouseId), n: 1 } });
      expect(res.errors).toBeUndefined();
      const a0 = (res.data as Record<string, { stocks: { warehouse: { stocks: { warehouse: { stocks: unknown[] } }[] } }[] }>).a0;
      expect(a0.stocks[0].warehouse.stocks[0].warehouse.stocks).toEqual([{ id: expect.any(String), onHand: 1 }]);
    });
  });
});

describe('result cap: GRAPHQL_MAX_RESULT_NODES', () => {
  const query = `query W($w: ID!, $n: Int) { warehouse(id: $w) { stocks(first: $n) { id onHand version updatedAt reserved available cursor product { id name } } } }`;

  async function stockedWarehouse(target: TestServer): Promise<{ owner: TestUser; warehouseId: number }> {
    const owner = await createUser(target);
    const warehouseId = await createWarehouse(target, { ownerId: owner.id });
    const products: number[] = [];
    for (let i = 0; i < 12; i += 1) products.push(await createProduct(target, { ownerId: owner.id }));
    await setStockLevels(target, products.map((productId) => ({ warehouseId, productId, onHand: 3 })));
    return { owner, warehouseId };
  }

  it('is 20000 fields by default', () => {
    expect(DEFAULTS.maxResultNodes).toBe(20_000);
  });

  it('an answer of more fields is replaced by one RESULT_TOO_LARGE error (HTTP 400 and WebSocket); a smaller page passes', async () => {
    await withServer({ env: { GRAPHQL_MAX_RESULT_NODES: '100' } }, async (capped) => {
      const { owner, warehouseId } = await stockedWarehouse(capped);
      const api = capped.client.withToken(owner.token);
      // 2 + 12 stocks × 10 fields = 122 fields; cost 402, within the cost limit.
      const refused = await api.raw({ query, variables: { w: String(warehouseId) } });
      const expected = [{ message: expect.stringMatching(/result exceeds the limit of 100 fields/i), extensions: { code: 'RESULT_TOO_LARGE', limit: 100 } }];
      expect(refused.status).toBe(400);
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual(expected);
      const ws = await overWebSocket(capped.url, query, { variables: { w: String(warehouseId) }, token: owner.token });
      expect(ws).toEqual({ errors: expected });
      // 2 + 5 × 10 = 52 fields.
      const fine = await api.raw({ query, variables: { w: String(warehouseId), n: 5 } });
      expect(fine.errors).toBeUndefined();
      expect((fine.data as { warehouse: { stocks: unknown[] } }).warehouse.stocks).toHaveLength(5);
    });
  });

  it('GRAPHQL_MAX_RESULT_NODES is validated', () => {
    expect(() => loadConfig({ GRAPHQL_MAX_RESULT_NODES: '10' })).toThrow(/GRAPHQL_MAX_RESULT_NODES must be an integer between 100 and 10000000/);
  });
});

describe('limits come from the environment', () => {
  it('GRAPHQL_MAX_DEPTH / _ALIASES / _DIRECTIVES / _TOKENS / _COST tighten them', async () => {
    const env = { GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '1', GRAPHQL_MAX_DIRECTIVES: '1', GRAPHQL_MAX_TOKENS: '100', GRAPHQL_MAX_COST: '100' };
    await withServer({ env }, async (strict) => {
      expectRefused(await strict.client.raw({ query: '{ products { edges { node { owner { id } } } } }' }), /depth limit of 3/i);
      expectRefused(await strict.client.raw({ query: '{ a: me { id } b: me { id } }' }), /aliases limit of 1/i);
      expectRefused(await strict.client.raw({ query: '{ __typename @include(if: true) __typename @skip(if: false) }' }), /directives limit of 1/i);
      expectRefused(await strict.client.raw({ query: `{ me { ${Array.from({ length: 100 }, () => 'id').join(' ')} } }` }), /token limit of 100/i);
      expectRefused(await strict.client.raw({ query: '{ products(first: 50) { totalCount } }' }), /cost limit of 100/i);
      expect((await strict.client.raw({ query: '{ a: me { id } }' })).errors).toBeUndefined();
    });
  });
});

describe('field suggestions', () => {
  const typos: [string, { query: string; variables?: Record<string, unknown> }, string][] = [
    ['an unknown field', { query: '{ me { emial } }' }, 'email'],
    ['an unknown root field', { query: '{ prodcts { totalCount } }' }, 'products'],
    ['an unknown argument', { query: '{ products(frist: 1) { totalCount } }' }, '"first"'],
    ['an unknown input field', { query: 'mutation { login(input: { emial: "a@b.c", password: "x" }) { token } }' }, '"email"'],
    ['an unknown type', { query: 'query($i: LoginInpt!) { me { id } }', variables: { i: {} } }, 'LoginInput'],
    ['an unknown enum value', { query: '{ orders(status: PENDIN) { totalCount } }' }, 'PENDING'],
    ['an unknown enum value in a variable', { query: 'query($s: OrderStatus) { orders(status: $s) { totalCount } }', variables: { s: 'PENDIN' } }, 'PENDING'],
    ['an unknown field in a variable', { query: 'mutation($i: LoginInput!) { login(input: $i) { token } }', variables: { i: { email: 'a@b.c', passwrd: 'x', password: 'x' } } }, '"password"'],
  ];

  it.each(typos)('never says "Did you mean" for %s (HTTP)', async (_label, body, hidden) => {
    const res = await server.client.raw(body);
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(res.errors![0].extensions?.code);
    for (const e of res.errors!) {
      expect(e.message).not.toMatch(/did you mean/i);
      expect(e.message).not.toContain(hidden);
    }
  });

  it('never says "Did you mean" over the WebSocket transport either', async () => {
    const res = await overWebSocket(server.url, '{ me { emial } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).not.toMatch(/did you mean|email/i);
  });
});

describe('batched HTTP requests', () => {
  it('are refused with 400 BAD_REQUEST and none of their operations runs', async () => {
    const before = await dbSnapshot(server);
    const register = (i: number) => ({
      query: 'mutation($i: RegisterInput!) { register(input: $i) { token } }',
      variables: { i: { email: `batch${i}@example.com`, password: 'batch password', name: 'B' } },
    });
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([register(1), register(2), { query: '{ me { id } }' }]),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string }; message: string }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
    expect(body.errors[0].message).toMatch(/batch/i);
    expect(await dbSnapshot(server)).toEqual(before);
  });
});

describe('introspection', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';
  const TYPE = '{ __type(name: "User") { name } }';

  it('is on outside production', async () => {
    expect(expectData(await server.client.raw({ query: INTROSPECT }))).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('is off with NODE_ENV=production (HTTP and WebSocket), unless GRAPHQL_INTROSPECTION=1', async () => {
    await withServer({ env: { NODE_ENV: 'production', ...TEST_SECRETS } }, async (production) => {
      expect(production.app.config.production).toBe(true);
      for (const query of [INTROSPECT, TYPE]) {
        const res = await production.client.raw({ query });
        expect(res.status).toBe(400);
        expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        expect(res.errors![0].message).toMatch(/introspection/i);
        const ws = await overWebSocket(production.url, query);
        expect(ws.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }
      // Ordinary queries still work, __typename included.
      expect(expectData(await production.client.raw({ query: '{ __typename me { id } }' }))).toEqual({ __typename: 'Query', me: null });
    });
    await withServer({ env: { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: '1', ...TEST_SECRETS } }, async (allowed) => {
      expect(expectData(await allowed.client.raw({ query: INTROSPECT }))).toEqual({ __schema: { queryType: { name: 'Query' } } });
      expect(expectData(await allowed.client.raw({ query: TYPE }))).toEqual({ __type: { name: 'User' } });
    });
  });
});

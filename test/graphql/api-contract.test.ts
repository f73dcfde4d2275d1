import fs from 'node:fs';
import path from 'node:path';
import { GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, isSpecifiedScalarType, type GraphQLSchema } from 'graphql';
import { ERROR_CODES } from '../../src/common/errors';
import { buildAppSchema } from '../../src/graphql/schema';
import { CreateProductDocument, ProductsDocument } from '../generated/catalog';
import { AddToCartDocument } from '../generated/cart';
import { errorCode, expectData, type TestUser, useSellerStrangerAdmin } from '../kit';

const SRC = path.join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every place of the schema that has no description: types, fields, arguments, enum values, input fields. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const has = (text: string | null | undefined) => typeof text === 'string' && text.trim().length > 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    if (!has(type.description)) missing.push(type.name);
    if (type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType) {
      for (const field of Object.values(type.getFields())) {
        if (!has(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!has(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    } else if (type instanceof GraphQLInputObjectType) {
      for (const field of Object.values(type.getFields())) if (!has(field.description)) missing.push(`${type.name}.${field.name}`);
    } else if (type instanceof GraphQLEnumType) {
      for (const value of type.getValues()) if (!has(value.description)) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

describe('the schema as a contract', () => {
  it('has a description on every type, field, argument, enum value and input field', async () => {
    expect(undescribed(await buildAppSchema())).toEqual([]);
  });

  it('lists every error code in the ErrorCode enum, and only codes the code answers', async () => {
    const schema = await buildAppSchema();
    const enumType = schema.getType('ErrorCode') as GraphQLEnumType;
    expect(enumType.getValues().map((v) => v.name).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    const stockError = schema.getType('StockError') as GraphQLObjectType;
    expect(String(stockError.getFields().code.type)).toBe('ErrorCode!');

    // Every code literal in src, however it is thrown (an AppError, a GraphQLError, an HTTP answer).
    const thrown = new Set<string>();
    const pattern = /(?:super\(|code: |sendJsonError\(res, [^,]+, )'([A-Z][A-Z_]+)'/g;
    for (const file of sourceFiles(SRC)) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(pattern)) thrown.add(match[1]);
    }
    expect([...thrown].filter((code) => !(code in ERROR_CODES))).toEqual([]);
    // The codes graphql-js and Apollo answer on their own (a parse failure, a persisted query) need no literal here.
    const answeredByApollo = ['GRAPHQL_PARSE_FAILED', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE'];
    expect(Object.keys(ERROR_CODES).filter((code) => !thrown.has(code) && !answeredByApollo.includes(code))).toEqual([]);
  });
});

describe('the API conventions, over HTTP', () => {
  const { server, seller } = useSellerStrangerAdmin();

  it('refuses a subscription sent over HTTP with BAD_REQUEST and HTTP 400, naming the WebSocket protocol, and logs no error', async () => {
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const res = await server.client.raw({ query: 'subscription { stockChanged(productId: "1") { available } }' });
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].extensions?.code).toBe('BAD_REQUEST');
      expect(res.errors![0].message).toMatch(/graphql-transport-ws/);
      expect(res.errors![0].message).toMatch(/WebSocket/);
    } finally {
      stderr.mockRestore();
    }
    expect(written.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });

  it('answers every validation problem of an input at once, each with its field, code BAD_USER_INPUT', async () => {
    const res = await seller.client.request(CreateProductDocument, { input: { name: ' ', description: 'd'.repeat(5001), price: '1.00', category: 'c'.repeat(101) } });
    expect(res.errors).toHaveLength(1);
    const [error] = res.errors!;
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'name',
      problems: [
        { field: 'name', path: 'input.name', message: 'name must not be empty' },
        { field: 'description', path: 'input.description', message: 'description must be at most 5000 characters' },
        { field: 'category', path: 'input.category', message: 'category must be at most 100 characters' },
      ],
    });
    expect(error.message).toBe('name must not be empty; description must be at most 5000 characters; category must be at most 100 characters');

    const cart = await seller.client.request(AddToCartDocument, { input: { productId: 'x', quantity: 0 } });
    expect(cart.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ field: 'productId', path: 'input.productId' }, { field: 'quantity', path: 'input.quantity' }] });

    const page = await server.client.request(ProductsDocument, { first: 0, after: 'garbage' });
    expect(page.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first', problems: [{ field: 'first', path: 'first' }, { field: 'after', path: 'after' }] });
  });

  it('answers full PageInfo on a connection: hasPreviousPage is whether the page started after a cursor', async () => {
    const owner: TestUser = seller;
    for (let i = 0; i < 3; i += 1) expectData(await owner.client.request(CreateProductDocument, { input: { name: `paged ${i}`, price: '1.00', category: 'paged-info' } }));
    const filter = { category: 'paged-info', ownerId: String(owner.id) };
    const first = expectData(await server.client.request(ProductsDocument, { first: 2, filter })).products;
    expect(first.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: first.edges[0].cursor, endCursor: first.edges[1].cursor });
    const next = expectData(await server.client.request(ProductsDocument, { first: 2, after: first.pageInfo.endCursor, filter })).products;
    expect(next.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: next.edges[0].cursor, endCursor: next.edges[0].cursor });
    const none = expectData(await server.client.request(ProductsDocument, { first: 2, filter: { category: 'no-such-category' } })).products;
    expect(none.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
    expect(errorCode(await server.client.request(ProductsDocument, { first: 101 }))).toBe('BAD_USER_INPUT');
  });
});

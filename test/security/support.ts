import { createHash } from 'node:crypto';
import http from 'node:http';
import type { GraphQLResponse, TestServer } from '../kit';

/** Every table whose content a refused request must leave exactly as it was. */
const CHECKED_TABLES = ['users', 'products', 'warehouses', 'stocks', 'stock_movements', 'carts', 'cart_items', 'stock_holds', 'orders', 'order_lines'] as const;

/** Tables whose every row goes into the checksum (the others are compared by row count). */
const CHECKSUMMED = new Set(['users', 'stocks', 'stock_movements', 'cart_items', 'stock_holds', 'orders']);

export interface DbSnapshot {
  counts: Record<string, number>;
  checksums: Record<string, string>;
}

/** Row counts of every table and a checksum over every row of the stock, order, cart and user tables. */
export async function dbSnapshot(server: TestServer): Promise<DbSnapshot> {
  const em = server.em();
  const counts: Record<string, number> = {};
  const checksums: Record<string, string> = {};
  for (const table of CHECKED_TABLES) {
    const rows = await em.execute<Record<string, unknown>[]>(`SELECT * FROM ${table} ORDER BY id`);
    counts[table] = rows.length;
    if (CHECKSUMMED.has(table)) {
      const text = JSON.stringify(rows, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? String(v) : v));
      checksums[table] = createHash('sha256').update(text).digest('hex');
    }
  }
  return { counts, checksums };
}

/** POSTs a GraphQL body from a chosen loopback address (Linux routes all of 127/8 to lo). */
export function postFrom(
  url: string,
  body: unknown,
  options: { localAddress?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<any> & { headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      `${url}/graphql`,
      {
        method: 'POST',
        localAddress: options.localAddress,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let json: { data?: unknown; errors?: GraphQLResponse<unknown>['errors'] } = {};
          try {
            json = JSON.parse(text);
          } catch {
            json = { errors: [{ message: text, extensions: { code: `HTTP_${res.statusCode}` } }] };
          }
          resolve({ status: res.statusCode ?? 0, data: json.data as any, errors: json.errors, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The codes of a response's errors, in order. */
export const codes = (res: GraphQLResponse<unknown>) => (res.errors ?? []).map((e) => e.extensions?.code);

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

const printed = new WeakMap<object, string>();

/** A tiny GraphQL-over-HTTP client for the codegen typed documents. */
export class GraphQLClient {
  constructor(
    public readonly url: string,
    private readonly token?: string,
  ) {}

  withToken(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...[variables]: TVariables extends Record<string, never> ? [] | [TVariables] : [TVariables]
  ): Promise<GraphQLResponse<TResult>> {
    let query = printed.get(document);
    if (!query) {
      query = print(document);
      printed.set(document, query);
    }
    return this.raw({ query, variables });
  }

  /** Sends any body (for malformed-input tests). */
  async raw(body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<any>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: { data?: any; errors?: GraphQLErrorShape[] } = {};
    try {
      json = JSON.parse(text);
    } catch {
      json = { errors: [{ message: text, extensions: { code: `HTTP_${res.status}` } }] };
    }
    return { status: res.status, data: json.data, errors: json.errors };
  }
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export function expectData<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`expected data, got errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/** The single error code of a response that must have failed. */
export function errorCode(response: GraphQLResponse<unknown>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

/** A response's outcome for tallies: 'ok', or its error code ('NONE' for an error without one). */
export const codeOf = (response: GraphQLResponse<unknown>): string => (response.errors ? (errorCode(response) ?? 'NONE') : 'ok');

/** How many times each value occurs (outcomes of parallel requests, compared as one object). */
export function tally(values: string[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
}

/** The value of a counter or gauge (no labels) on `url`'s /metrics, 0 when absent. */
export async function metricOf(url: string, name: string): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

import { serviceUnavailableStatus } from '../../src/graphql/errors';

/**
 * The HTTP status of an answer that carries SERVICE_UNAVAILABLE (src/graphql/errors.ts): 503 with
 * Retry-After, so that clients and proxies see it may be sent again; but a mutation with another
 * field that succeeded stays 200, since a 503 could make them repeat that write.
 */
async function statusOf(operation: 'query' | 'mutation', data: Record<string, unknown> | null): Promise<{ status?: number; retryAfter?: string }> {
  const headers = new Map<string, string>();
  const response = {
    http: { status: undefined as number | undefined, headers: { set: (k: string, v: string) => headers.set(k, v) } },
    body: { kind: 'single', singleResult: { data, errors: [{ message: 'x', extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true } }] } },
  };
  const listener = await serviceUnavailableStatus().requestDidStart!({} as never);
  await listener!.willSendResponse!({ response, operation: { operation } } as never);
  return { status: response.http.status, retryAfter: headers.get('retry-after') };
}

it('answers 503 with Retry-After when nothing succeeded, for a query or a mutation', async () => {
  expect(await statusOf('query', null)).toEqual({ status: 503, retryAfter: '1' });
  expect(await statusOf('mutation', { buyNow: null })).toEqual({ status: 503, retryAfter: '1' });
  // A query's other fields are reads: safe to send again.
  expect(await statusOf('query', { __typename: 'Query', product: null })).toEqual({ status: 503, retryAfter: '1' });
});

it('keeps a mutation whose other aliased field succeeded a 200', async () => {
  expect(await statusOf('mutation', { first: { id: '1' }, second: null })).toEqual({ status: undefined, retryAfter: undefined });
});

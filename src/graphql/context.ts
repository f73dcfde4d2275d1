import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Orm } from '../config/database';
import type { AuthService } from '../services/auth.service';
import type { RequestContext } from '../services/context';

export type GraphQLContext = RequestContext;

/**
 * The one place a request's EntityManager is created: a fresh fork per request. A bad token is
 * not an error here (a public query should still work); operations that need a user say so
 * (`@Authorized`).
 */
export async function buildContext(
  deps: { orm: Orm; auth: AuthService },
  req: { headers: IncomingMessage['headers']; ip: string },
): Promise<GraphQLContext> {
  const ctx: GraphQLContext = { em: deps.orm.em.fork(), viewer: null, ip: req.ip, requestId: randomUUID() };
  const header = req.headers.authorization;
  if (header) {
    try {
      ctx.viewer = await deps.auth.authenticate(ctx, header);
    } catch (error) {
      ctx.authError = error as Error;
    }
  }
  return ctx;
}

/**
 * The `authorization` entry of graphql-ws connectionParams in any case (`Authorization`,
 * `AUTHORIZATION`…): GraphiQL sends its Headers tab as connectionParams exactly as typed, and HTTP
 * header names are case-insensitive, so people type them every way. The lower-case key wins when
 * several are present.
 */
export function authorizationParam(params: Readonly<Record<string, unknown>> | undefined | null): string | undefined {
  if (!params || typeof params !== 'object') return undefined;
  if (typeof params.authorization === 'string') return params.authorization;
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization' && typeof params[k] === 'string');
  return key === undefined ? undefined : (params[key] as string);
}

import type { Orm } from '../config/database';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/env';
import type { Services } from '../container';
import type { RequestContext } from '../services/context';

export type GraphQLContext = RequestContext;

/**
 * The one place a request's EntityManager is created: a fresh fork per request. A bad token is
 * not an error here (a public query should still work); resolvers that need a user say so.
 */
export async function buildContext(
  deps: { orm: Orm; config: AppConfig; services: Services },
  req: { headers: IncomingMessage['headers']; ip: string },
): Promise<GraphQLContext> {
  const em = deps.orm.em.fork();
  const ctx: GraphQLContext = {
    em,
    viewer: null,
    config: deps.config,
    services: deps.services,
    ip: req.ip,
    requestId: randomUUID(),
  };
  const header = req.headers.authorization;
  if (header) {
    try {
      ctx.viewer = await deps.services.auth.authenticate(ctx, header);
    } catch (error) {
      ctx.authError = error as Error;
    }
  }
  return ctx;
}

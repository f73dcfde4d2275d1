import { ForbiddenError, UnauthenticatedError } from '../common/errors';
import { UserRole } from '../entities';
import type { RequestContext, Viewer } from './context';

/** The signed-in user, or UNAUTHENTICATED (with the reason the token was refused, if one was sent). */
export function requireViewer(ctx: RequestContext): Viewer {
  if (ctx.authError) throw ctx.authError;
  if (!ctx.viewer) throw new UnauthenticatedError();
  return ctx.viewer;
}

export function isAdmin(ctx: RequestContext): boolean {
  return ctx.viewer?.role === UserRole.ADMIN;
}

export function requireAdmin(ctx: RequestContext): Viewer {
  const viewer = requireViewer(ctx);
  if (viewer.role !== UserRole.ADMIN) throw new ForbiddenError('Only an admin can do this');
  return viewer;
}

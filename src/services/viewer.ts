import { ForbiddenError, UnauthenticatedError } from '../common/errors';
import { UserRole } from '../entities';
import type { RequestContext, Viewer } from './context';

/** The signed-in user, or UNAUTHENTICATED (with the reason the token was refused, if one was sent). */
export function requireViewer(ctx: RequestContext): Viewer {
  if (ctx.authError) throw ctx.authError;
  if (!ctx.viewer) throw new UnauthenticatedError();
  return ctx.viewer;
}

export function isAdmin(ctx: Pick<RequestContext, 'viewer'>): boolean {
  return ctx.viewer?.role === UserRole.ADMIN;
}

export function requireAdmin(ctx: RequestContext): Viewer {
  const viewer = requireViewer(ctx);
  if (viewer.role !== UserRole.ADMIN) throw new ForbiddenError('Only an admin can do this');
  return viewer;
}

/** Users who proved who they are inside this request (register, login, changePassword). */
const signedInDuringRequest = new WeakMap<RequestContext, Set<number>>();

/** Records that the caller just proved to be this user, so the response may show their private fields. */
export function markSignedIn(ctx: RequestContext, userId: number): void {
  const ids = signedInDuringRequest.get(ctx) ?? new Set<number>();
  ids.add(userId);
  signedInDuringRequest.set(ctx, ids);
}

/** The caller is this user (signed in, or just signed in by this request) or an admin. */
export function isSelfOrAdmin(ctx: RequestContext, userId: number): boolean {
  if (signedInDuringRequest.get(ctx)?.has(userId)) return true;
  if (!ctx.viewer || ctx.authError) return false;
  return ctx.viewer.id === userId || isAdmin(ctx);
}

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  BadUserInputError,
  InvalidCredentialsError,
  NotFoundError,
  TotpInvalidError,
  TotpRequiredError,
  UnauthenticatedError,
} from '../common/errors';
import { sqlFor } from '../db/sql';
import { User, UserRole } from '../entities';
import { findTokenOwners, recordTotpStep, type TokenOwner } from '../repositories/user.repository';
import { TickBatch } from '../db/tick-batch';
import type { Em, RequestContext, Viewer } from './context';
import { EMAIL_MAX, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../common/limits';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.service';
import type { RateLimitService } from './rate-limit.service';
import type { TokenService } from './token.service';
import type { TotpService } from './totp.service';
import { isSelfOrAdmin, markSignedIn, requireViewer } from './viewer';

export interface AuthResult {
  token: string;
  user: User;
}

/** A new password's length rule (the boundary checks registration's; changePassword checks after verifying the current one). */
export function requirePassword(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new BadUserInputError(field, `${field} must be a string`);
  if (value.length > MAX_PASSWORD_LENGTH) throw new BadUserInputError(field, `${field} must be at most ${MAX_PASSWORD_LENGTH} characters`);
  if (value.length < MIN_PASSWORD_LENGTH) throw new BadUserInputError(field, `${field} must be at least ${MIN_PASSWORD_LENGTH} characters`);
  return value;
}

/**
 * Accounts, sign-in, tokens and optional TOTP second factor. Account rows are written through the
 * User entity on a fork of the request's EntityManager that holds only that user, so a flush never
 * writes back anything else the request loaded; the guarded TOTP step goes through the user
 * repository. Sign-in inputs (login, changePassword's current password) are checked here, after
 * the limiter has counted the attempt: every attempt counts, even a malformed one.
 */
export class AuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly totp: TotpService,
    private readonly rateLimits: RateLimitService,
  ) {}

  /** Token checks of concurrent requests, one statement per turn of the event loop. */
  private readonly tokenOwners = new TickBatch<TokenOwner>(findTokenOwners);

  /**
   * Creates a CUSTOMER account (input checked at the boundary): registration is not verified, so it
   * never grants a role. A duplicate email is refused by the unique key even when two arrive at once.
   */
  async register(ctx: RequestContext, input: { email: string; password: string; name: string }): Promise<AuthResult> {
    const { email, password, name } = input;
    await this.rateLimits.consumeRegistration(ctx);
    const em = ctx.em.fork();
    if (await em.count(User, { email })) throw new BadUserInputError('email', 'An account with this email already exists');
    const user = em.create(User, { email, name, role: UserRole.CUSTOMER, passwordHash: await hashPassword(password) });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new BadUserInputError('email', 'An account with this email already exists');
      }
      throw error;
    }
    markSignedIn(ctx, user.id);
    return { token: this.tokens.issue(user), user };
  }

  /**
   * Checks the password (same error and timing for an unknown email), then the one-time code when
   * the account has 2FA. A code is accepted once: the accepted time step is recorded with a guarded
   * write, so a replay is refused even when it races the original on another process.
   */
  async login(ctx: RequestContext, input: { email: unknown; password: unknown; totp?: unknown }): Promise<AuthResult> {
    const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
    // The account as the database finds it: on MySQL the column's collation matches other
    // spellings (case, accents) of an address, and they must all spend that account's budget.
    // No stored email holds a NUL (registration refuses it), and SQLite's ORM path fails on one.
    const user = email && email.length <= EMAIL_MAX && !email.includes('\u0000') ? await ctx.em.findOne(User, { email }) : null;
    // Every attempt counts, before any check: over the limit even the right password is refused,
    // and a refused attempt costs no password hash.
    await this.rateLimits.consumePasswordAttempt(ctx, user ? { userId: user.id } : { email });
    if (typeof input.password === 'string' && input.password.length > MAX_PASSWORD_LENGTH) {
      throw new BadUserInputError('password', `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
    }
    const password = typeof input.password === 'string' ? input.password : '';
    if (!user) {
      await burnPasswordCheck(password);
      throw new InvalidCredentialsError();
    }
    if (!(await verifyPassword(user.passwordHash, password))) throw new InvalidCredentialsError();
    if (user.totpEnabled) {
      if (input.totp === undefined || input.totp === null || input.totp === '') throw new TotpRequiredError();
      await this.consumeCode(ctx, user, String(input.totp), user.totpSecretEnc);
    }
    markSignedIn(ctx, user.id);
    return { token: this.tokens.issue(user), user };
  }

  /** Resolves a bearer header to the viewer; the token must not be revoked by a version bump. */
  async authenticate(ctx: RequestContext, header: string): Promise<Viewer> {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
    const claims = this.tokens.verify(match[1]);
    const id = Number(claims.sub);
    // A plain row, not an entity: every authenticated request runs this, and only three columns
    // matter; the checks of concurrent requests share one statement (TickBatch).
    const user = Number.isSafeInteger(id) ? await this.tokenOwners.get(sqlFor(ctx.em), id) : undefined;
    if (!user || user.tokenVersion !== claims.tv) throw new UnauthenticatedError('Token revoked: sign in again');
    return { id: user.id, role: user.role };
  }

  async me(ctx: RequestContext): Promise<User | null> {
    if (ctx.authError) throw ctx.authError;
    if (!ctx.viewer) return null;
    return ctx.em.findOne(User, { id: ctx.viewer.id });
  }

  /** A user's email, for that user and admins only (null for anyone else). */
  emailOf(ctx: RequestContext, user: Pick<User, 'id' | 'email'>): string | null {
    return isSelfOrAdmin(ctx, user.id) ? user.email : null;
  }

  /** Whether a user has 2FA on, for that user and admins only (null for anyone else). */
  totpEnabledOf(ctx: RequestContext, user: Pick<User, 'id' | 'totpEnabled'>): boolean | null {
    return isSelfOrAdmin(ctx, user.id) ? user.totpEnabled : null;
  }

  async findUserOrThrow(ctx: { em: Em }, id: number): Promise<User> {
    const user = await ctx.em.findOne(User, { id });
    if (!user) throw new NotFoundError('User');
    return user;
  }

  /**
   * Starts (or restarts) 2FA enrolment after re-checking the password (a stolen token alone cannot
   * enrol the thief's authenticator): the secret stays pending until verifyTotp sees a valid code.
   */
  async setupTotp(ctx: RequestContext, password: unknown): Promise<{ secret: string; otpauthUri: string }> {
    const viewer = requireViewer(ctx);
    const em = ctx.em.fork();
    const user = await this.findUserOrThrow({ em }, viewer.id);
    await this.checkPasswordOrThrow(ctx, user, password);
    if (user.totpEnabled) throw new BadUserInputError('totp', 'Two-factor authentication is already enabled: disable it first');
    const secret = this.totp.generateSecret();
    user.totpPendingEnc = this.totp.encrypt(secret);
    await em.flush();
    return { secret, otpauthUri: this.totp.otpauthUri(user.email, secret) };
  }

  /**
   * Activates the pending secret with its first valid code and revokes every token issued before,
   * the caller's included: the caller signs in again (password and a code).
   */
  async verifyTotp(ctx: RequestContext, code: string): Promise<User> {
    const viewer = requireViewer(ctx);
    await this.rateLimits.consumeTotpAttempt(ctx, viewer.id);
    const em = ctx.em.fork();
    const user = await this.findUserOrThrow({ em }, viewer.id);
    if (user.totpEnabled) throw new BadUserInputError('code', 'Two-factor authentication is already enabled');
    if (!user.totpPendingEnc) throw new BadUserInputError('code', 'Call setupTotp first');
    const pending = user.totpPendingEnc;
    await this.consumeCode(ctx, user, code, pending);
    user.totpSecretEnc = pending;
    user.totpPendingEnc = null;
    user.totpEnabled = true;
    user.tokenVersion += 1;
    await em.flush();
    return user;
  }

  /**
   * Turns 2FA off with the password and a valid code, and revokes every token issued before (the
   * caller's included: sign in again).
   */
  async disableTotp(ctx: RequestContext, code: string, password: unknown): Promise<User> {
    const viewer = requireViewer(ctx);
    await this.rateLimits.consumeTotpAttempt(ctx, viewer.id);
    const em = ctx.em.fork();
    const user = await this.findUserOrThrow({ em }, viewer.id);
    await this.checkPasswordOrThrow(ctx, user, password);
    if (!user.totpEnabled) throw new BadUserInputError('code', 'Two-factor authentication is not enabled');
    await this.consumeCode(ctx, user, code, user.totpSecretEnc);
    user.totpEnabled = false;
    user.totpSecretEnc = null;
    user.totpPendingEnc = null;
    user.totpLastStep = null;
    user.tokenVersion += 1;
    await em.flush();
    return user;
  }

  /** Changes the password and revokes every token issued before; returns a fresh token. */
  async changePassword(ctx: RequestContext, input: { currentPassword: string; newPassword: string }): Promise<AuthResult> {
    const viewer = requireViewer(ctx);
    const em = ctx.em.fork();
    const user = await this.findUserOrThrow({ em }, viewer.id);
    await this.checkPasswordOrThrow(ctx, user, input.currentPassword);
    const password = requirePassword('newPassword', input.newPassword);
    user.passwordHash = await hashPassword(password);
    user.tokenVersion += 1;
    await em.flush();
    markSignedIn(ctx, user.id);
    return { token: this.tokens.issue(user), user };
  }

  /**
   * Re-authentication of a signed-in user: a missing or wrong password is INVALID_CREDENTIALS. A
   * stolen token must not become a password oracle, so it spends the same budget as login.
   */
  private async checkPasswordOrThrow(ctx: RequestContext, user: User, password: unknown): Promise<void> {
    await this.rateLimits.consumePasswordAttempt(ctx, { userId: user.id });
    // No password is longer than MAX_PASSWORD_LENGTH: a longer one is wrong without hashing it.
    if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH || !(await verifyPassword(user.passwordHash, password))) {
      throw new InvalidCredentialsError();
    }
  }

  private async consumeCode(ctx: RequestContext, user: User, code: string, secretEnc: string | null | undefined): Promise<void> {
    if (!secretEnc) throw new TotpInvalidError();
    const step = this.totp.matchStep(code.trim(), this.totp.decrypt(secretEnc));
    if (step === null) throw new TotpInvalidError();
    if (!(await recordTotpStep(sqlFor(ctx.em), user.id, step))) throw new TotpInvalidError();
    user.totpLastStep = String(step);
  }
}

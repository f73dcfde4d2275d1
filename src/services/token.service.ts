import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { UnauthenticatedError } from '../common/errors';
import type { AppConfig } from '../config/env';
import type { User, UserRole } from '../entities';

export interface TokenClaims {
  sub: string;
  role: UserRole;
  /** The user's token version when issued: a later bump revokes this token. */
  tv: number;
}

/** How many verified tokens are remembered, and the longest remembered. */
const VERIFIED_TOKENS = 10_000;
const VERIFIED_TOKEN_MAX_LENGTH = 2048;

/** Issues and verifies HS256 JWTs with issuer, audience and expiry pinned. */
export class TokenService {
  /**
   * The HMAC key as a KeyObject, built once: given a string, jsonwebtoken first tries (and fails)
   * to parse it as a public key on every call, which cost ~2 ms of CPU per request.
   */
  private readonly key: KeyObject;

  constructor(private readonly config: AppConfig['jwt']) {
    this.key = createSecretKey(Buffer.from(config.secret, 'utf8'));
  }

  issue(user: Pick<User, 'id' | 'role' | 'tokenVersion'>): string {
    return jwt.sign({ role: user.role, tv: user.tokenVersion }, this.key, {
      algorithm: 'HS256',
      subject: String(user.id),
      issuer: this.config.issuer,
      audience: this.config.audience,
      expiresIn: this.config.expiresInSeconds,
    });
  }

  /**
   * Tokens already verified, with their expiry: the same token comes with every request of a
   * session, and an HMAC check plus claim parsing was ~2% of a cart server's CPU. Only what passed
   * every check is remembered, and a hit is re-checked against the clock exactly as jsonwebtoken
   * checks `exp`; revocation is unaffected (the token version is checked against the database on
   * every request, see AuthService.authenticate). Bounded, then started afresh.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; exp: number }>();

  verify(token: string): TokenClaims {
    const known = this.verified.get(token);
    if (known && Math.floor(Date.now() / 1000) < known.exp) return known.claims;
    const claims = this.verifySignature(token);
    const exp = (claims as { exp?: unknown }).exp;
    if (typeof exp === 'number' && token.length <= VERIFIED_TOKEN_MAX_LENGTH) {
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.clear();
      this.verified.set(token, { claims, exp });
    }
    return claims;
  }

  private verifySignature(token: string): TokenClaims {
    try {
      const claims = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.config.issuer,
        audience: this.config.audience,
        complete: false,
      });
      if (typeof claims !== 'object' || !claims.sub || typeof (claims as TokenClaims).tv !== 'number') {
        throw new Error('malformed claims');
      }
      return claims as unknown as TokenClaims;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new UnauthenticatedError('Token expired: sign in again');
      throw new UnauthenticatedError('Invalid token');
    }
  }
}

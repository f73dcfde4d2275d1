import { authenticator } from 'otplib';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const STEP_SECONDS = 30;
const ISSUER = 'Flashsale Inventory';

/**
 * RFC 6238 TOTP (30 s step, one step of drift either way) with secrets encrypted at rest using
 * AES-256-GCM. The key is derived from TOTP_ENCRYPTION_KEY; the stored form is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export class TotpService {
  private readonly key: Buffer;
  private readonly otp = authenticator.clone({ step: STEP_SECONDS, window: 1 });

  constructor(encryptionKey: string) {
    this.key = createHash('sha256').update(encryptionKey, 'utf8').digest();
  }

  generateSecret(): string {
    return this.otp.generateSecret(20);
  }

  otpauthUri(email: string, secret: string): string {
    return this.otp.keyuri(email, ISSUER, secret);
  }

  /** The time step the code belongs to, or null if it is wrong for the current window. */
  matchStep(code: string, secret: string, nowMs = Date.now()): number | null {
    if (!/^\d{6}$/.test(code)) return null;
    const delta = this.otp.clone({ epoch: nowMs }).checkDelta(code, secret);
    return delta === null ? null : Math.floor(nowMs / 1000 / STEP_SECONDS) + delta;
  }

  /** For tests and tools: the code for a given instant. */
  codeAt(secret: string, nowMs = Date.now()): string {
    return this.otp.clone({ epoch: nowMs }).generate(secret);
  }

  encrypt(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  decrypt(stored: string): string {
    const [version, iv, tag, data] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || !data) throw new Error('unreadable TOTP secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

import { Entity, Enum, Property, Unique, type Opt } from '@mikro-orm/core';
import { BaseEntity } from './base';

export enum UserRole {
  CUSTOMER = 'CUSTOMER',
  ADMIN = 'ADMIN',
}

@Entity({ tableName: 'users' })
export class User extends BaseEntity {
  @Unique({ name: 'users_email_unique' })
  @Property({ type: 'string', length: 254 })
  email!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 255, hidden: true, lazy: false })
  passwordHash!: string;

  @Enum({ items: () => UserRole, nativeEnumName: 'user_role', default: UserRole.CUSTOMER })
  role: Opt<UserRole> = UserRole.CUSTOMER;

  /** Bumped to revoke every token issued before (password change, 2FA disabled). */
  @Property({ type: 'integer', default: 0 })
  tokenVersion: Opt<number> = 0;

  @Property({ type: 'boolean', default: false })
  totpEnabled: Opt<boolean> = false;

  /** AES-256-GCM ciphertext of the active TOTP secret. */
  @Property({ type: 'text', nullable: true, hidden: true })
  totpSecretEnc?: string | null;

  /** AES-256-GCM ciphertext of a secret awaiting its first valid code. */
  @Property({ type: 'text', nullable: true, hidden: true })
  totpPendingEnc?: string | null;

  /** The last accepted TOTP time step: a code at or before it is a replay. */
  @Property({ type: 'bigint', nullable: true, hidden: true })
  totpLastStep?: string | null;
}

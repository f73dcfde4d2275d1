import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { UserRole } from '../../entities';

registerEnumType(UserRole, {
  name: 'UserRole',
  description: 'What an account may do',
  valuesConfig: {
    CUSTOMER: { description: 'Every registered account: shops, and sells from its own warehouses and products' },
    ADMIN: { description: 'Sees every order, warehouse and ledger and changes order statuses; granted only by the operator' },
  },
});

/** `email` and `totpEnabled` are private: UserResolver shows them to the user and admins only. */
@ObjectType('User', { description: 'An account. Anyone may see id, name, role and createdAt of a product owner; email and totpEnabled only the user and admins' })
export class UserType {
  @Field(() => ID, { description: 'The user id' })
  id!: number;

  email!: string;

  @Field(() => String, { description: 'Display name (1-100 characters)' })
  name!: string;

  @Field(() => UserRole, { description: 'CUSTOMER for every registered account; ADMIN is granted only by the operator' })
  role!: UserRole;

  totpEnabled!: boolean;

  @Field(() => Date, { description: 'When the account was registered' })
  createdAt!: Date;
}

@ObjectType('AuthPayload', { description: 'A signed-in session: the bearer token and its user' })
export class AuthPayloadType {
  @Field(() => String, { description: 'Send as Authorization: Bearer <token> (HTTP) or connectionParams.authorization (WebSocket); expires after JWT_EXPIRES_IN_SECONDS, revoked by a password or 2FA change' })
  token!: string;

  @Field(() => UserType, { description: 'The signed-in user' })
  user!: UserType;
}

@ObjectType('TotpSetup', { description: 'A pending 2FA enrolment: confirm it with verifyTotp and a code of the authenticator' })
export class TotpSetupType {
  @Field(() => String, { description: 'Base32 secret for authenticator apps' })
  secret!: string;

  @Field(() => String, { description: 'otpauth:// URI with the secret, for a QR code' })
  otpauthUri!: string;
}

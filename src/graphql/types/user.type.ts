import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { UserRole } from '../../entities';

registerEnumType(UserRole, { name: 'UserRole' });

/** `email` and `totpEnabled` are private: UserResolver shows them to the user and admins only. */
@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: number;

  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => UserRole)
  role!: UserRole;

  totpEnabled!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('AuthPayload')
export class AuthPayloadType {
  @Field(() => String)
  token!: string;

  @Field(() => UserType)
  user!: UserType;
}

@ObjectType('TotpSetup')
export class TotpSetupType {
  @Field(() => String, { description: 'Base32 secret for authenticator apps' })
  secret!: string;

  @Field(() => String)
  otpauthUri!: string;
}

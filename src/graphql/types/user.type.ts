import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { UserRole } from '../../entities';

registerEnumType(UserRole, { name: 'UserRole' });

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => UserRole)
  role!: UserRole;

  @Field(() => Boolean)
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

import { Field, InputType } from 'type-graphql';
import { USER_NAME_MAX } from '../../common/limits';
import { requireEmail, requireText } from '../../common/validate';
import { requirePassword } from '../../services/auth.service';

@InputType()
export class RegisterInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String)
  name!: string;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => String, { nullable: true, description: 'The 6-digit one-time code, for accounts with 2FA' })
  totp?: string | null;
}

@InputType()
export class ChangePasswordInput {
  @Field(() => String)
  currentPassword!: string;

  @Field(() => String)
  newPassword!: string;
}

/** The account a registration asks for, checked. */
export function parseRegister(input: RegisterInput): { email: string; password: string; name: string } {
  return {
    email: requireEmail('email', input.email),
    password: requirePassword('password', input.password),
    name: requireText('name', input.name, { max: USER_NAME_MAX }),
  };
}

import { Field, InputType } from 'type-graphql';
import { USER_NAME_MAX } from '../../common/limits';
import { checkAll, requireEmail, requireText } from '../../common/validate';
import { requirePassword } from '../../services/auth.service';

@InputType({ description: 'A new account (always a CUSTOMER)' })
export class RegisterInput {
  @Field(() => String, { description: 'A valid email address, at most 254 characters; compared case-insensitively' })
  email!: string;

  @Field(() => String, { description: '8-128 characters' })
  password!: string;

  @Field(() => String, { description: 'Display name, 1-100 characters' })
  name!: string;
}

@InputType({ description: 'The credentials of a sign-in' })
export class LoginInput {
  @Field(() => String, { description: 'The account\'s email address' })
  email!: string;

  @Field(() => String, { description: 'The account\'s password' })
  password!: string;

  @Field(() => String, { nullable: true, description: 'The 6-digit one-time code, for accounts with 2FA' })
  totp?: string | null;
}

@InputType({ description: 'A password change: the current password and the new one' })
export class ChangePasswordInput {
  @Field(() => String, { description: 'The password in use now' })
  currentPassword!: string;

  @Field(() => String, { description: '8-128 characters' })
  newPassword!: string;
}

/** The account a registration asks for, checked. */
export function parseRegister(input: RegisterInput): { email: string; password: string; name: string } {
  return checkAll({
    email: () => requireEmail('email', input.email),
    password: () => requirePassword('password', input.password),
    name: () => requireText('name', input.name, { max: USER_NAME_MAX }),
  }, 'input');
}

import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { User } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { ChangePasswordInput, LoginInput, parseRegister, RegisterInput } from '../graphql/inputs/auth.input';
import { AuthPayloadType, TotpSetupType, UserType } from '../graphql/types/user.type';
import type { AuthService } from '../services/auth.service';

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation(() => AuthPayloadType, { description: 'Creates a CUSTOMER account and signs it in (rate-limited per IP)' })
  register(@Arg('input', () => RegisterInput, { description: 'The new account' }) input: RegisterInput, @Ctx() ctx: GraphQLContext) {
    return this.auth.register(ctx, parseRegister(input));
  }

  /** Its input is checked by the service, after the limiter has counted the attempt. */
  @Mutation(() => AuthPayloadType, { description: 'Signs in: a token for the account; INVALID_CREDENTIALS, TOTP_REQUIRED or TOTP_INVALID otherwise (rate-limited per account and IP)' })
  login(@Arg('input', () => LoginInput, { description: 'Email, password and, with 2FA on, the one-time code' }) input: LoginInput, @Ctx() ctx: GraphQLContext) {
    return this.auth.login(ctx, input);
  }

  @Query(() => UserType, { nullable: true, description: 'The signed-in user, or null when anonymous' })
  me(@Ctx() ctx: GraphQLContext) {
    return this.auth.me(ctx);
  }

  @Authorized()
  @Mutation(() => TotpSetupType, { description: 'Starts 2FA enrolment; needs the account password (INVALID_CREDENTIALS without it)' })
  setupTotp(@Arg('password', () => String, { nullable: true, description: 'The account password (INVALID_CREDENTIALS when missing or wrong)' }) password: string | null, @Ctx() ctx: GraphQLContext) {
    return this.auth.setupTotp(ctx, password);
  }

  @Authorized()
  @Mutation(() => UserType, { description: 'Enables 2FA and revokes every earlier token, this one included: sign in again with a code' })
  verifyTotp(@Arg('code', () => String, { description: 'The current 6-digit code of the authenticator' }) code: string, @Ctx() ctx: GraphQLContext) {
    return this.auth.verifyTotp(ctx, code);
  }

  @Authorized()
  @Mutation(() => UserType, { description: 'Needs the account password and a code; revokes every earlier token, this one included: sign in again' })
  disableTotp(
    @Arg('code', () => String, { description: 'The current 6-digit code of the authenticator' }) code: string,
    @Arg('password', () => String, { nullable: true, description: 'The account password (INVALID_CREDENTIALS when missing or wrong)' }) password: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return this.auth.disableTotp(ctx, code, password);
  }

  @Authorized()
  @Mutation(() => AuthPayloadType, { description: 'Revokes every earlier token and returns a new one' })
  changePassword(@Arg('input', () => ChangePasswordInput, { description: 'The current password and the new one' }) input: ChangePasswordInput, @Ctx() ctx: GraphQLContext) {
    return this.auth.changePassword(ctx, input);
  }
}

/** Private fields of a user: null unless the caller is that user or an admin. */
@Resolver(() => UserType)
export class UserResolver {
  constructor(private readonly auth: AuthService) {}

  @FieldResolver(() => String, { nullable: true, description: 'Private: null unless you are this user or an admin' })
  email(@Root() user: User, @Ctx() ctx: GraphQLContext) {
    return this.auth.emailOf(ctx, user);
  }

  @FieldResolver(() => Boolean, { nullable: true, description: 'Private: null unless you are this user or an admin' })
  totpEnabled(@Root() user: User, @Ctx() ctx: GraphQLContext) {
    return this.auth.totpEnabledOf(ctx, user);
  }
}

import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { User } from '../entities';
import type { GraphQLContext } from '../graphql/context';
import { ChangePasswordInput, LoginInput, RegisterInput } from '../graphql/inputs/auth.input';
import { AuthPayloadType, TotpSetupType, UserType } from '../graphql/types/user.type';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayloadType)
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.register(ctx, input);
  }

  @Mutation(() => AuthPayloadType)
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.login(ctx, input);
  }

  @Query(() => UserType, { nullable: true, description: 'The signed-in user, or null when anonymous' })
  me(@Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.me(ctx);
  }

  @Mutation(() => TotpSetupType)
  setupTotp(@Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.setupTotp(ctx);
  }

  @Mutation(() => UserType)
  verifyTotp(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.verifyTotp(ctx, code);
  }

  @Mutation(() => UserType)
  disableTotp(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.disableTotp(ctx, code);
  }

  @Mutation(() => AuthPayloadType, { description: 'Revokes every earlier token and returns a new one' })
  changePassword(@Arg('input', () => ChangePasswordInput) input: ChangePasswordInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.changePassword(ctx, input);
  }
}

/** Private fields of a user: null unless the caller is that user or an admin. */
@Resolver(() => UserType)
export class UserResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Private: null unless you are this user or an admin' })
  email(@Root() user: User, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.emailOf(ctx, user);
  }

  @FieldResolver(() => Boolean, { nullable: true, description: 'Private: null unless you are this user or an admin' })
  totpEnabled(@Root() user: User, @Ctx() ctx: GraphQLContext) {
    return ctx.services.auth.totpEnabledOf(ctx, user);
  }
}

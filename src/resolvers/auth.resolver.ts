import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
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

/**
 * The bearer check: a valid, unexpired token of an existing, active user.
 * The role comes from the database, not the token, so a demoted or suspended
 * user's token stops working at once.
 */
import { Effect, Layer, Option, Redacted } from "effect"
import { Unauthorized } from "../domain/Errors.ts"
import { AccessTokens } from "./AccessTokens.ts"
import { Authentication, CurrentUser } from "./Authentication.ts"
import { UsersRepo } from "./UsersRepo.ts"

const unauthorized = new Unauthorized({ message: "Missing, invalid or expired access token" })

export const AuthenticationLive = Layer.effect(Authentication, Effect.gen(function*() {
  const tokens = yield* AccessTokens
  const users = yield* UsersRepo
  return Authentication.of({
    bearer: Effect.fn("Authentication.bearer")(function*(httpEffect, { credential }) {
      const claims = yield* tokens.verify(Redacted.value(credential)).pipe(Effect.mapError(() => unauthorized))
      const state = yield* users.findAuthState(claims.id)
      if (Option.isNone(state) || !state.value.active) return yield* unauthorized
      yield* Effect.annotateCurrentSpan("user.id", claims.id)
      return yield* Effect.provideService(httpEffect, CurrentUser, { id: claims.id, role: state.value.role })
    })
  })
}))

/**
 * Bearer authentication for the API: who is calling, from the access token
 * alone — never from a request body. `Authentication` is the middleware tag
 * the groups declare; its implementation lives in `AuthenticationLive`.
 */
import { Context, Effect, Option } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Forbidden, Unauthorized } from "../domain/Errors.ts"
import type { Role, UserId } from "../domain/User.ts"

export interface Caller {
  readonly id: UserId
  readonly role: Role
}

export class CurrentUser extends Context.Service<CurrentUser, Caller>()("maplehustle/users/Authentication/CurrentUser") {}

export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentUser }>()(
  "maplehustle/users/Authentication",
  {
    security: { bearer: HttpApiSecurity.bearer },
    error: Unauthorized
  }
) {}

/** Who is calling on a route open to everyone: `None` without an `Authorization` header. */
export class Viewer extends Context.Service<Viewer, Option.Option<Caller>>()("maplehustle/users/Authentication/Viewer") {}

/**
 * For routes whose answer depends on who asks but that anyone may call (public
 * files): no token → anonymous; a token that does not verify → 401, so a
 * client with an expired token learns it instead of seeing less.
 */
export class OptionalAuthentication extends HttpApiMiddleware.Service<OptionalAuthentication, { provides: Viewer }>()(
  "maplehustle/users/OptionalAuthentication",
  { error: Unauthorized }
) {}

/** The caller, if it has one of `roles`; else 403 `Forbidden`. */
export const requireRole = (...roles: ReadonlyArray<Role>) =>
  CurrentUser.use((caller) =>
    roles.includes(caller.role)
      ? Effect.succeed(caller)
      : Effect.fail(new Forbidden({ message: `This action requires the ${roles.join(" or ")} role` })))

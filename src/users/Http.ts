import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser, requireRole } from "./Authentication.ts"
import { Users } from "./Users.ts"

export const UsersHttp = HttpApiBuilder.group(Api, "users", Effect.fn(function*(handlers) {
  const users = yield* Users
  return handlers
    .handle("me", () => CurrentUser.use((caller) => users.me(caller)))
    .handle("updateMe", ({ payload }) => CurrentUser.use((caller) => users.updateMe(caller, payload)))
    .handle("publicProfile", ({ params }) => users.publicProfile(params.id))
    .handle("setStatus", ({ params, payload }) =>
      Effect.flatMap(requireRole("admin"), (admin) => users.setStatus(admin, params.id, payload.status)))
    .handle("setVerification", ({ params, payload }) =>
      Effect.andThen(requireRole("admin"), users.setVerification(params.id, payload.verification_status)))
}))

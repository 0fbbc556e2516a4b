import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { Auth } from "./Auth.ts"
import { CurrentUser } from "./Authentication.ts"

export const AuthHttp = HttpApiBuilder.group(Api, "auth", Effect.fn(function*(handlers) {
  const auth = yield* Auth
  return handlers
    .handle("register", ({ payload }) => auth.register(payload))
    .handle("login", ({ payload, headers }) => auth.login(payload.email, payload.password, headers["user-agent"]))
    .handle("refresh", ({ payload }) => auth.refresh(payload.refresh_token))
    .handle("logout", ({ payload }) => CurrentUser.use((caller) => auth.logout(caller, payload.refresh_token)))
    .handle("logoutAll", () => CurrentUser.use((caller) => auth.logoutAll(caller)))
    .handle("sessions", () => CurrentUser.use((caller) => auth.sessions(caller)))
    .handle("verifyEmail", ({ payload }) => auth.verifyEmail(payload.token))
    .handle("forgotPassword", ({ payload }) => auth.forgotPassword(payload.email))
    .handle("resetPassword", ({ payload }) => auth.resetPassword(payload.token, payload.new_password))
    .handle("changePassword", ({ payload }) =>
      CurrentUser.use((caller) => auth.changePassword(caller, payload.old_password, payload.new_password)))
}))

import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Notifications } from "./Notifications.ts"

export const NotificationsHttp = HttpApiBuilder.group(Api, "notifications", Effect.fn(function*(handlers) {
  const notifications = yield* Notifications
  return handlers
    .handle("list", ({ query }) => CurrentUser.use((caller) => notifications.list(caller, query)))
    .handle("readAll", () => CurrentUser.use((caller) => notifications.readAll(caller)))
    .handle("preferences", () => CurrentUser.use((caller) => notifications.preferences(caller)))
    .handle("setPreferences", ({ payload }) => CurrentUser.use((caller) => notifications.setPreferences(caller, payload)))
    .handle("create", ({ payload }) => CurrentUser.use((caller) => notifications.create(caller, payload)))
    .handle("read", ({ params }) => CurrentUser.use((caller) => notifications.read(caller, params.id)))
    .handle("deliveries", ({ params }) => CurrentUser.use((caller) => notifications.deliveries(caller, params.id)))
}))

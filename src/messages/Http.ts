import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Messages } from "./Messages.ts"

export const MessagesHttp = HttpApiBuilder.group(Api, "messages", Effect.fn(function*(handlers) {
  const messages = yield* Messages
  return handlers
    .handle("send", ({ payload }) => CurrentUser.use((caller) => messages.send(caller, payload)))
    .handle("conversations", () => CurrentUser.use((caller) => messages.conversations(caller)))
    .handle("direct", ({ params, query }) => CurrentUser.use((caller) => messages.direct(caller, params.user_id, query)))
    .handle("booking", ({ params, query }) => CurrentUser.use((caller) => messages.aboutBooking(caller, params.booking_id, query)))
    .handle("read", ({ params }) => CurrentUser.use((caller) => messages.read(caller, params.id)))
}))

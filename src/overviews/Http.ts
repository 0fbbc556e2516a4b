import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser, Viewer } from "../users/Authentication.ts"
import { Overviews } from "./Overviews.ts"

export const OverviewsHttp = HttpApiBuilder.group(Api, "overviews", Effect.fn(function*(handlers) {
  const overviews = yield* Overviews
  return handlers
    .handle("user", ({ params }) => CurrentUser.use((caller) => overviews.user(caller, params.id)))
    .handle("service", ({ params }) => Viewer.use((viewer) => overviews.service(viewer, params.id)))
}))

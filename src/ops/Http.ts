import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { requireRole } from "../users/Authentication.ts"
import { Ops } from "./Ops.ts"

const admin = requireRole("admin")

export const OpsHttp = HttpApiBuilder.group(Api, "ops", Effect.fn(function*(handlers) {
  const ops = yield* Ops
  return handlers
    .handle("listJobs", ({ query }) => Effect.andThen(admin, ops.listJobs(query)))
    .handle("retryJob", ({ params }) => Effect.andThen(admin, ops.retryJob(params.id)))
    .handle("cancelJob", ({ params }) => Effect.andThen(admin, ops.cancelJob(params.id)))
    .handle("listCron", () => Effect.andThen(admin, ops.listCron()))
    .handle("stats", () => Effect.andThen(admin, ops.stats()))
    .handle("invalidateCache", ({ payload }) => Effect.andThen(admin, ops.invalidateCache(payload.tags)))
}))

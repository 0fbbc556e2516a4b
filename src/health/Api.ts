import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"

const ComponentStatus = Schema.Literals(["up", "down", "disabled"])

export const DependencyCheck = Schema.Struct({
  status: ComponentStatus,
  backend: Schema.Literals(["postgres", "pglite", "redis", "memory"]),
  latency_ms: Schema.NullOr(Schema.Number)
})

export const Readiness = Schema.Struct({
  status: Schema.Literals(["ready", "degraded", "unavailable"]),
  checks: Schema.Struct({
    database: DependencyCheck,
    cache: DependencyCheck,
    queue: Schema.Struct({ status: ComponentStatus })
  })
})
export type Readiness = typeof Readiness.Type

/** 503 from `/health/ready`: the database is down, so the instance cannot serve. */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", {
  message: Schema.String,
  ...Readiness.fields
}, { httpApiStatus: 503 }) {}

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("about", "/", {
      success: Schema.Struct({ name: Schema.String, version: Schema.String, docs: Schema.String })
    }),
    HttpApiEndpoint.get("live", "/health/live", {
      success: Schema.Struct({ status: Schema.Literal("ok") })
    }),
    HttpApiEndpoint.get("ready", "/health/ready", {
      success: Readiness,
      error: NotReady
    }).annotate(OpenApi.Description, "Database down → 503; cache down → 200 `degraded` (the cache is optional).")
  )
  .annotate(OpenApi.Title, "System")
{}

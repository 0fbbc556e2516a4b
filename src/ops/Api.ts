import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { QueueName } from "../domain/Job.ts"
import { BadRequest, Forbidden, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { Authentication } from "../users/Authentication.ts"

export const JobStatus = Schema.Literals(["pending", "running", "succeeded", "dead", "canceled"])

export const JobView = Schema.Struct({
  id: Schema.String,
  queue: Schema.String,
  task: Schema.String,
  status: JobStatus,
  attempts: Schema.Number,
  max_attempts: Schema.Number,
  run_at: Schema.String,
  last_error: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  finished_at: Schema.NullOr(Schema.String)
})

export const CronView = Schema.Struct({
  name: Schema.String,
  schedule: Schema.String,
  last_run_at: Schema.NullOr(Schema.String),
  next_run_at: Schema.String,
  last_status: Schema.NullOr(JobStatus)
})

export const QueueStatsView = Schema.Struct({
  pending: Schema.Number,
  running: Schema.Number,
  failed_last_hour: Schema.Number,
  succeeded_last_hour: Schema.Number,
  dead: Schema.Number,
  oldest_pending_age_s: Schema.NullOr(Schema.Number)
})

const CacheEntityView = Schema.Struct({
  hits: Schema.Number,
  /** The hits the in-process L1 answered (`CACHE_L1_ENABLED`); beyond API.md. */
  l1_hits: Schema.Number,
  negative_hits: Schema.Number,
  misses: Schema.Number,
  errors: Schema.Number,
  lookups: Schema.Number,
  fills: Schema.Number,
  lease_waits: Schema.Number
})

export const StatsView = Schema.Struct({
  pool: Schema.Struct({
    max: Schema.Number,
    total: Schema.Number,
    idle: Schema.Number,
    waiting: Schema.Number,
    /** Since start: checkouts, those that timed out or were shed, and the time checkouts waited. */
    acquired: Schema.Number,
    timed_out: Schema.Number,
    shed: Schema.Number,
    wait_ms_total: Schema.Number,
    wait_ms_max: Schema.Number
  }),
  cache: Schema.Struct({
    hits: Schema.Number,
    misses: Schema.Number,
    hit_ratio: Schema.Number,
    errors: Schema.Number,
    /** Beyond API.md: where entries live, the breaker, and the counters by entity. */
    backend: Schema.Literals(["redis", "memory", "off"]),
    breaker: Schema.Literals(["closed", "open"]),
    entities: Schema.Record(Schema.String, CacheEntityView),
    redis: Schema.NullOr(Schema.Struct({ used_memory_bytes: Schema.Number, keys: Schema.Number }))
  }),
  queue: Schema.Record(Schema.String, QueueStatsView),
  /** The latest 50 statements over `SLOW_QUERY_MS`, newest first; `rows` and `trace_id` go beyond API.md. */
  slow_queries: Schema.Array(Schema.Struct({
    sql: Schema.String,
    duration_ms: Schema.Number,
    at: Schema.String,
    rows: Schema.Number,
    trace_id: Schema.NullOr(Schema.String)
  }))
})

const JobId = Schema.String.check(Schema.isPattern(/^[1-9][0-9]{0,18}$/, { message: "a job id is a positive integer" }))

export class OpsApi extends HttpApiGroup.make("ops")
  .add(
    HttpApiEndpoint.get("listJobs", "/ops/jobs", {
      query: { queue: Schema.optional(QueueName), status: Schema.optional(JobStatus), ...PageQuery },
      success: Page(JobView),
      error: [BadRequest, Forbidden]
    }),
    HttpApiEndpoint.post("retryJob", "/ops/jobs/:id/retry", {
      params: { id: JobId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "Puts a dead or canceled job back in line with fresh attempts; 409 in any other state."),
    HttpApiEndpoint.post("cancelJob", "/ops/jobs/:id/cancel", {
      params: { id: JobId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "Cancels a pending job; 409 in any other state."),
    HttpApiEndpoint.get("listCron", "/ops/cron", {
      success: Schema.Array(CronView),
      error: Forbidden
    }),
    HttpApiEndpoint.get("stats", "/ops/stats", {
      success: StatsView,
      error: Forbidden
    }),
    HttpApiEndpoint.post("invalidateCache", "/ops/cache/invalidate", {
      payload: Schema.Struct({ tags: Schema.Array(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))).check(Schema.isMinLength(1), Schema.isMaxLength(100)) }),
      success: HttpApiSchema.NoContent,
      error: [BadRequest, Forbidden]
    }).annotate(OpenApi.Description, "Makes every cached entry carrying one of the tags a miss on every instance (`all` clears everything). Tags are listed in docs/caching.md.")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Operations (admin)")
{}

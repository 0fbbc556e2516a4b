/**
 * `GET /metrics` (API.md: public, `METRICS_ENABLED=false` turns it off): every
 * metric of `infra/Metrics.ts` in Prometheus text. The pool and queue gauges
 * are read from their live sources at each scrape (the queue's within a
 * budget, so a scrape answers even when the pool is exhausted) and, when
 * metrics are pushed over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`), every push
 * interval by `GaugeSampler`, which `main.ts` runs in every process type.
 */
import { Duration, Effect, Layer, Metric, Option, Schedule } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { JobQueue } from "../infra/JobQueue.ts"
import { metricExportInterval, otlpEndpoint } from "../infra/Telemetry.ts"
import * as Metrics from "../infra/Metrics.ts"
import * as Settings from "../infra/Settings.ts"
import { PoolStats } from "../infra/Sql.ts"

const set = (gauge: Metric.Gauge<number>, attributes: Metric.Metric.Attributes, value: number) =>
  Metric.update(Metric.withAttributes(gauge, attributes), value)

/**
 * How long a sample waits for the queue counts, which take a pool connection.
 * Metrics matter most when the pool is exhausted or the database is away: then
 * the queue gauges keep their last values and the scrape still answers at once.
 */
const queueCountsBudget = Duration.millis(500)

/** Sets the pool gauges (in memory) and the queue gauges (a query, within its budget) from their live sources. */
const sampleGauges = Effect.gen(function*() {
  const pool = yield* PoolStats
  const queue = yield* JobQueue
  const counters = yield* pool.snapshot
  yield* set(Metrics.dbConnections, { state: "idle" }, counters.idle)
  yield* set(Metrics.dbConnections, { state: "used" }, counters.inUse)
  yield* Metric.update(Metrics.dbConnectionsMax, counters.max)
  yield* Metric.update(Metrics.dbConnectionsPending, counters.waiting)
  const queues = yield* queue.stats().pipe(
    Effect.timeoutOption(queueCountsBudget),
    Effect.catchCause((cause) => Effect.as(Effect.logWarning("sampling the queue gauges failed", cause), Option.none()))
  )
  for (const q of Option.getOrElse(queues, () => [])) {
    yield* set(Metrics.jobsQueued, { queue: q.queue, state: "pending" }, q.pending)
    yield* set(Metrics.jobsQueued, { queue: q.queue, state: "running" }, q.running)
    yield* set(Metrics.jobsQueued, { queue: q.queue, state: "dead" }, q.dead)
  }
})

const route = Layer.effectDiscard(Effect.gen(function*() {
  const router = yield* HttpRouter.HttpRouter
  const context = yield* Effect.context<PoolStats | JobQueue>()
  const scrape = Effect.gen(function*() {
    yield* sampleGauges.pipe(Effect.provideContext(context))
    return HttpServerResponse.text(yield* PrometheusMetrics.format(), { contentType: "text/plain; version=0.0.4; charset=utf-8" })
  })
  yield* router.add("GET", "/metrics", scrape)
}))

/**
 * While metrics are pushed over OTLP, the gauges are sampled at the push
 * interval (the push reads them as they are), in every process type: a
 * workers-only process has no `/metrics` to scrape but pushes all the same.
 */
export const GaugeSampler = Layer.unwrap(Effect.gen(function*() {
  if (Option.isNone(yield* otlpEndpoint)) return Layer.empty
  const interval = yield* metricExportInterval
  return Layer.effectDiscard(sampleGauges.pipe(
    Effect.repeat(Schedule.spaced(interval)),
    Effect.withTracerEnabled(false),
    Effect.forkScoped
  ))
}))

export const MetricsRoute = Layer.unwrap(Effect.map(Settings.flag("METRICS_ENABLED", true), (enabled) => enabled ? route : Layer.empty))

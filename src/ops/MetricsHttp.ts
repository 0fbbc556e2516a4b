/**
 * `GET /metrics` (API.md: public, `METRICS_ENABLED=false` turns it off): every
 * metric of `infra/Metrics.ts` in Prometheus text. The pool and queue gauges
 * are read from their live sources at each scrape and, when metrics are pushed
 * over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`), before each push interval.
 */
import { Config, Effect, Layer, Metric, Option, Schedule } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { JobQueue } from "../infra/JobQueue.ts"
import * as Metrics from "../infra/Metrics.ts"
import * as Settings from "../infra/Settings.ts"
import { PoolStats } from "../infra/Sql.ts"

const set = (gauge: Metric.Gauge<number>, attributes: Metric.Metric.Attributes, value: number) =>
  Metric.update(Metric.withAttributes(gauge, attributes), value)

/** Sets the pool and queue gauges from their live sources. */
const sampleGauges = Effect.gen(function*() {
  const pool = yield* PoolStats
  const queue = yield* JobQueue
  const [counters, queues] = yield* Effect.all([pool.snapshot, queue.stats()], { concurrency: 2 })
  yield* set(Metrics.dbConnections, { state: "idle" }, counters.idle)
  yield* set(Metrics.dbConnections, { state: "used" }, counters.inUse)
  yield* Metric.update(Metrics.dbConnectionsMax, counters.max)
  yield* Metric.update(Metrics.dbConnectionsPending, counters.waiting)
  for (const q of queues) {
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

/** While metrics are pushed, the gauges are sampled at the push interval (the push reads them as they are). */
export const GaugeSampler = Layer.effectDiscard(Effect.gen(function*() {
  const interval = yield* Settings.millis("OTEL_METRIC_EXPORT_INTERVAL", 60000)
  yield* sampleGauges.pipe(
    Effect.catchCause((cause) => Effect.logWarning("sampling the pool and queue gauges failed", cause)),
    Effect.repeat(Schedule.spaced(interval)),
    Effect.withTracerEnabled(false),
    Effect.forkScoped
  )
}))

export const MetricsRoute = Layer.unwrap(Effect.gen(function*() {
  const scraped = yield* Settings.flag("METRICS_ENABLED", true)
  const pushed = Option.isSome(yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")))
  return Layer.mergeAll(scraped ? route : Layer.empty, pushed ? GaugeSampler : Layer.empty)
}))

/**
 * `GET /metrics` (API.md: public, `METRICS_ENABLED=false` turns it off): every
 * metric of `infra/Metrics.ts` in Prometheus text. The pool and queue gauges
 * are read from their live sources at each scrape.
 */
import { Effect, Layer, Metric } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { JobQueue } from "../infra/JobQueue.ts"
import * as Metrics from "../infra/Metrics.ts"
import * as Settings from "../infra/Settings.ts"
import { PoolStats } from "../infra/Sql.ts"

const set = (gauge: Metric.Gauge<number>, attributes: Metric.Metric.Attributes, value: number) =>
  Metric.update(Metric.withAttributes(gauge, attributes), value)

const route = Layer.effectDiscard(Effect.gen(function*() {
  const router = yield* HttpRouter.HttpRouter
  const pool = yield* PoolStats
  const queue = yield* JobQueue
  const scrape = Effect.gen(function*() {
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
    return HttpServerResponse.text(yield* PrometheusMetrics.format(), { contentType: "text/plain; version=0.0.4; charset=utf-8" })
  })
  yield* router.add("GET", "/metrics", scrape)
}))

export const MetricsRoute = Layer.unwrap(Effect.map(Settings.flag("METRICS_ENABLED", true), (enabled) => enabled ? route : Layer.empty))

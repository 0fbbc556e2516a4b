/**
 * The service's metrics, named after the OpenTelemetry conventions
 * (`GET /metrics` renders them in Prometheus text, dots as underscores).
 * Attributes stay bounded: route templates, never paths or ids.
 */
import { Metric } from "effect"

/**
 * `metric` with `attributes`, the attributed metric made once per distinct
 * `key` (the attribute values): hot paths update it without rebuilding it.
 */
export const attributed = <I, S>(metric: Metric.Metric<I, S>) => {
  const made = new Map<string, Metric.Metric<I, S>>()
  return (key: string, attributes: () => Metric.Metric.Attributes) => {
    let found = made.get(key)
    if (found === undefined) {
      found = Metric.withAttributes(metric, attributes())
      if (made.size < 10_000) made.set(key, found)
    }
    return found
  }
}

/** Seconds, from a millisecond to ten seconds. */
const latency = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export const httpServerDuration = Metric.histogram("http.server.request.duration", {
  description: "Duration of HTTP requests in seconds, by method, route template and status",
  boundaries: latency
})

export const dbOperationDuration = Metric.histogram("db.client.operation.duration", {
  description: "Duration of database statements in seconds, by operation",
  boundaries: latency
})

export const dbSlowQueries = Metric.counter("db.client.slow_queries", {
  description: "Statements slower than SLOW_QUERY_MS, cancelled ones included",
  incremental: true
})

export const dbConnections = Metric.gauge("db.client.connection.count", {
  description: "Connections of the pool, by state (idle, used)"
})

export const dbConnectionsMax = Metric.gauge("db.client.connection.max", { description: "Most connections the pool opens" })

export const dbConnectionsPending = Metric.gauge("db.client.connection.pending_requests", {
  description: "Requests waiting for a pool connection"
})

export const cacheRequests = Metric.counter("cache.requests", {
  description: "Cache reads by entity and result (hit, negative_hit, miss, error)",
  incremental: true
})

export const jobsQueued = Metric.gauge("jobs.queue.depth", { description: "Jobs by queue and state (pending, running, dead)" })

export const jobsProcessed = Metric.counter("jobs.processed", {
  description: "Job attempts recorded, by queue, task and outcome (succeeded, retried, dead)",
  incremental: true
})

export const jobDuration = Metric.histogram("jobs.duration", {
  description: "Seconds a job attempt ran, by queue and task",
  boundaries: [...latency, 30, 60, 300]
})

export const jobWait = Metric.histogram("jobs.wait", {
  description: "Seconds from a job becoming due (enqueued, or its run time) to an attempt starting, by queue",
  boundaries: [...latency, 30, 60, 300]
})

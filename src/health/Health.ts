import { Context, Duration, Effect, Layer } from "effect"
import { DatabaseBackend } from "../infra/Sql.ts"
import { Redis } from "../infra/Redis.ts"
import { NotReady, type Readiness } from "./Api.ts"

const PROBE_TIMEOUT = Duration.seconds(2)

const latencyMs = (d: Duration.Duration) => Math.round(Duration.toMillis(d) * 100) / 100

/** Readiness: the database is required, the cache is optional (degraded), the queue lives in the database. */
export class Health extends Context.Service<Health>()("maplehustle/health/Health", {
  make: Effect.gen(function*() {
    const database = yield* DatabaseBackend
    const redis = yield* Redis

    const checkDatabase = database.ping.pipe(
      Effect.timeout(PROBE_TIMEOUT),
      Effect.timed,
      Effect.match({
        onFailure: () => ({ status: "down" as const, backend: database.kind, latency_ms: null }),
        onSuccess: ([elapsed]) => ({ status: "up" as const, backend: database.kind, latency_ms: latencyMs(elapsed) })
      })
    )
    const checkCache = redis.client._tag === "None"
      ? Effect.succeed({ status: "up" as const, backend: "memory" as const, latency_ms: 0 })
      : redis.ping(PROBE_TIMEOUT).pipe(
        Effect.match({
          onFailure: () => ({ status: "down" as const, backend: "redis" as const, latency_ms: null }),
          onSuccess: (elapsed) => ({ status: "up" as const, backend: "redis" as const, latency_ms: latencyMs(elapsed) })
        })
      )

    const readiness = Effect.fn("Health.readiness")(function*() {
      const [db, cache] = yield* Effect.all([checkDatabase, checkCache], { concurrency: 2 })
      const report: Readiness = {
        status: db.status !== "up" ? "unavailable" : cache.status !== "up" ? "degraded" : "ready",
        checks: { database: db, cache, queue: { status: db.status } }
      }
      if (report.status === "unavailable") {
        return yield* new NotReady({ message: "The database is unavailable", ...report })
      }
      return report
    })
    return { readiness }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

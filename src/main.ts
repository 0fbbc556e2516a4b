/**
 * The composition root: the only module that runs anything.
 * Start-up order: telemetry → configuration → database pool and migrations,
 * Redis, job queue → domain services → workers and cron, HTTP server
 * (listening last). Shutdown runs it backwards: stop accepting and drain
 * requests (10 s), stop claiming jobs and let running ones finish (10 s, then
 * release them), then close Redis and the pool. SIGTERM/SIGINT exit 0.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Layer, Option } from "effect"
import { FileStorage } from "./files/Storage.ts"
import { HttpLive } from "./Http.ts"
import { JobQueue } from "./infra/JobQueue.ts"
import { RateLimiter } from "./infra/RateLimiter.ts"
import { layer as CacheLive } from "./infra/Cache.ts"
import { Redis } from "./infra/Redis.ts"
import { SecretsLive } from "./infra/Secrets.ts"
import { GaugeSampler } from "./ops/MetricsHttp.ts"
import { DatabaseBackend, SqlLive } from "./infra/Sql.ts"
import * as Settings from "./infra/Settings.ts"
import { TelemetryLive } from "./infra/Telemetry.ts"
import { WorkerLive } from "./Worker.ts"

const InfraLive = Layer.mergeAll(JobQueue.layer, RateLimiter.layer, CacheLive).pipe(
  Layer.provideMerge(Layer.mergeAll(SqlLive, Redis.layer, SecretsLive, FileStorage.layer))
)

/** `HTTP_ENABLED=false` (`npm run worker`) runs the workers alone. */
const ApiLive = Layer.unwrap(Effect.map(Settings.flag("HTTP_ENABLED", true), (enabled) => enabled ? HttpLive : Layer.empty))

const AnnounceBackends = Layer.effectDiscard(Effect.gen(function*() {
  const database = yield* DatabaseBackend
  const redis = yield* Redis
  yield* Effect.logInfo(`database: ${database.description}`)
  yield* Effect.logInfo(`cache and rate limits: ${redis.description}`)
}))

const MainLive = Layer.mergeAll(AnnounceBackends, ApiLive, WorkerLive, GaugeSampler).pipe(
  Layer.provide(InfraLive),
  Layer.provide(TelemetryLive)
)

const program = Layer.launch(MainLive).pipe(
  Effect.catchCause((cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
    const error = Cause.findErrorOption(cause)
    // A bad setting is the operator's to fix: one line naming it, no stack trace.
    const report = Option.isSome(error) && error.value._tag === "ConfigError"
      ? Console.error(`configuration error: ${Settings.describeConfigError(error.value)}`)
      : Effect.logError("start-up failed", cause)
    return Effect.andThen(report, Effect.failCause(cause))
  })
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  // Interrupted by SIGTERM/SIGINT after a clean drain is a normal exit.
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
})

/**
 * The Redis connection, when `REDIS_URL` is set. ioredis is configured to fail
 * fast instead of queueing: no offline queue, a short command timeout, one
 * retry per command, and background reconnection with capped backoff. Callers
 * treat Redis as optional and fall back (cache: to the database; rate limits:
 * to memory), so a Redis outage degrades the service but never stops it.
 */
import { Config, Context, Data, Duration, Effect, Layer, Option, Redacted } from "effect"
import { Redis as IORedis } from "ioredis"
import * as Settings from "./Settings.ts"

export interface RedisHandle {
  /** `None` when `REDIS_URL` is unset: the in-memory fallbacks are in use. */
  readonly client: Option.Option<IORedis>
  readonly description: string
  /** Round-trip time of a PING, failing when Redis is absent, down or slower than `timeout`. */
  readonly ping: (timeout: Duration.Input) => Effect.Effect<Duration.Duration, RedisUnavailable>
}

export class RedisUnavailable extends Data.TaggedError("RedisUnavailable")<{ readonly message: string }> {}

/** `redis://host:port/db` without credentials, for logs. */
const describe = (url: URL) => `Redis ${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : "/0"}`

export class Redis extends Context.Service<Redis, RedisHandle>()("maplehustle/infra/Redis") {
  static readonly layer = Layer.effect(Redis, Effect.gen(function*() {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    const commandTimeout = yield* Settings.millis("REDIS_COMMAND_TIMEOUT_MS", 250)
    if (Option.isNone(url)) {
      return {
        client: Option.none(),
        description: "in-memory (REDIS_URL unset)",
        ping: () => Effect.fail(new RedisUnavailable({ message: "REDIS_URL is not set" }))
      }
    }
    const parsed = new URL(Redacted.value(url.value))
    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new IORedis(Redacted.value(url.value), {
          lazyConnect: true,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          maxRetriesPerRequest: 1,
          commandTimeout: Duration.toMillis(commandTimeout),
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
          connectionName: "maplehustle"
        })
      ),
      (client) =>
        Effect.tryPromise(() => client.quit()).pipe(
          Effect.timeout("1 second"),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => client.disconnect()))
        )
    )
    // ioredis emits "error" on every failed reconnect: log the transitions, not each attempt.
    const log = Effect.runForkWith(yield* Effect.context<never>())
    let healthy = true
    client.on("error", (error: Error) => {
      if (!healthy) return
      healthy = false
      log(Effect.logWarning("redis unavailable; serving without it until it returns", error.message))
    })
    client.on("ready", () => {
      if (healthy) return
      healthy = true
      log(Effect.logInfo("redis connection restored"))
    })
    yield* Effect.tryPromise(() => client.connect()).pipe(
      Effect.timeout("2 seconds"),
      Effect.catchCause(() => Effect.logWarning(`${describe(parsed)} did not answer at start-up; continuing without it`))
    )
    const ping = (timeout: Duration.Input) =>
      Effect.tryPromise({
        try: () => client.ping(),
        catch: (cause) => new RedisUnavailable({ message: cause instanceof Error ? cause.message : "ping failed" })
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(new RedisUnavailable({ message: "ping timed out" }))
        }),
        Effect.timed,
        Effect.map(([elapsed]) => elapsed)
      )
    return { client: Option.some(client), description: describe(parsed), ping }
  }))
}

/**
 * Fixed-window counters for rate limits: in Redis when it answers (shared by
 * every instance), else in this process's memory, so a Redis outage narrows a
 * limit to one instance but never lifts it. `RATE_LIMITS_ENABLED=false` turns
 * every limit off (load tests, test suites).
 */
import { Context, Effect, Layer, Option } from "effect"
import { Redis } from "./Redis.ts"
import * as Settings from "./Settings.ts"

/** INCR the window's counter, start its expiry on the first hit; answer the count and the time left. */
const HIT_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`

/** The in-memory fallback forgets the oldest windows beyond this many keys. */
const MAX_LOCAL_KEYS = 100_000

export interface Window {
  /** Hits counted in the current window, this one included. */
  readonly count: number
  /** Milliseconds until the window ends. */
  readonly resetInMs: number
}

export class RateLimiter extends Context.Service<RateLimiter>()("maplehustle/infra/RateLimiter", {
  make: Effect.gen(function*() {
    const redis = yield* Redis
    const enabled = yield* Settings.flag("RATE_LIMITS_ENABLED", true)
    const prefix = `${yield* Settings.redisKeyPrefix}:rl:`
    const local = new Map<string, { count: number; resetAt: number }>()

    const localWindow = (key: string, windowMs: number): Window => {
      const now = Date.now()
      let entry = local.get(key)
      if (entry === undefined || entry.resetAt <= now) {
        local.delete(key)
        if (local.size >= MAX_LOCAL_KEYS) {
          for (const [k, v] of local) if (v.resetAt <= now || local.size >= MAX_LOCAL_KEYS) local.delete(k)
        }
        entry = { count: 0, resetAt: now + windowMs }
        local.set(key, entry)
      }
      entry.count += 1
      return { count: entry.count, resetInMs: entry.resetAt - now }
    }

    const redisWindow = (key: string, windowMs: number) =>
      Option.match(redis.client, {
        onNone: () => Effect.succeed(Option.none<Window>()),
        onSome: (client) =>
          Effect.tryPromise(() => client.eval(HIT_SCRIPT, 1, prefix + key, windowMs) as Promise<[number, number]>).pipe(
            Effect.map(([count, ttl]) => Option.some({ count, resetInMs: ttl > 0 ? ttl : windowMs })),
            // Redis down or slow: count here instead (the command timeout bounds the wait).
            Effect.catchCause(() => Effect.succeed(Option.none<Window>()))
          )
      })

    /** Counts a hit in `key`'s window, in Redis or, when Redis does not answer, in this process. */
    const countHit = (key: string, windowMs: number): Effect.Effect<Window> =>
      Effect.map(redisWindow(key, windowMs), (shared) => Option.getOrElse(shared, () => localWindow(key, windowMs)))

    /** Counts a hit against `key`; `Some(window)` when that makes more than `limit` in the window. */
    const hit = Effect.fn("RateLimiter.hit")(function*(key: string, limit: number, windowMs: number) {
      if (!enabled) return Option.none<Window>()
      const current = yield* countHit(key, windowMs)
      return current.count > limit ? Option.some(current) : Option.none<Window>()
    })

    /** Forgets `key`'s window (a successful login clears its failures). */
    const reset = Effect.fn("RateLimiter.reset")(function*(key: string) {
      local.delete(key)
      if (Option.isSome(redis.client)) {
        const client = redis.client.value
        yield* Effect.ignore(Effect.tryPromise(() => client.del(prefix + key)))
      }
    })

    return { hit, reset }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

/**
 * Cache-aside for public reads, in Redis when `REDIS_URL` is set (shared by
 * every instance), else in this process's memory.
 *
 * - **Keys** `<prefix>:v<version>:<entity>:<id or hash of canonical params>`
 *   (`paramsKey`); bump an entity's `version` whenever its value's shape
 *   changes, and old entries are simply never read again.
 * - **Values** are encoded with their `Schema` inside an envelope that also
 *   carries the tokens of the entry's tags; a value that no longer decodes is
 *   a miss. Not-found is cached too, for `NEGATIVE_TTL`. Every TTL gets ±10 %
 *   jitter so entries written together do not expire together.
 * - **Tags without scanning**: each tag has a token in Redis; an entry
 *   records its tags' tokens when its lookup *starts*, and a read is a hit only
 *   if every token is still the same. `invalidate(tags)` writes new tokens:
 *   O(tags), never `KEYS` or `SCAN`, and no fill that raced the write can
 *   survive it (it recorded the old tokens). An entry never records a missing
 *   token, so an evicted tag key only causes misses. Every entry also carries
 *   the tag `all`.
 * - **Stampedes**: concurrent misses of one key in one process run one
 *   lookup (single flight); across instances a lease (`SET NX PX`) lets one
 *   instance fill while the others poll briefly for its value, then give up
 *   and read the database themselves.
 * - **L1** (optional, `CACHE_L1_ENABLED`, off by default): decoded values in
 *   this process for `CACHE_L1_TTL_MS`, in front of Redis; an invalidation
 *   evicts them here at once and on every other instance through Redis
 *   pub/sub. Another instance's eviction arrives a pub/sub delay later, so
 *   the L1 trades the strict read-after-write guarantee across instances for
 *   that delay; it is served only while its subscription is up.
 * - **Fail-open**: every Redis command is bounded by `CACHE_TIMEOUT_MS`;
 *   after `BREAKER_THRESHOLD` failures in a row the breaker opens and requests
 *   go straight to the database for `BREAKER_OPEN`, then one command probes.
 *   Failures are never cached. An invalidation that cannot reach Redis is
 *   kept and retried, and until it lands this instance does not read entries
 *   carrying those tags.
 */
import { Clock, Context, Data, Deferred, Duration, Effect, Exit, Layer, Option, Schedule, Schema, Tracer } from "effect"
import type { Redis as IORedis } from "ioredis"
import { createHash, randomUUID } from "node:crypto"
import * as Metrics from "./Metrics.ts"
import { Redis } from "./Redis.ts"
import * as Settings from "./Settings.ts"

/**
 * Adds `cache.get` to the current span: a hit or a failed read shows on the
 * request's span without a span of its own (a miss gets its `cache.fill` span,
 * parent of the lookup's database work).
 */
const spanEvent = (attributes: Record<string, unknown>) =>
  Effect.withFiber((fiber) => {
    const span = Context.getOption(fiber.context, Tracer.ParentSpan)
    if (Option.isSome(span) && span.value._tag === "Span") {
      span.value.event("cache.get", fiber.getRef(Clock.Clock).currentTimeNanosUnsafe(), attributes)
    }
    return Effect.void
  })

/** How long a "not found" is remembered. */
const NEGATIVE_TTL_MS = 30_000
/** Tag tokens outlive every entry (the longest TTL is 24 h + 10 %); an expired token only causes misses. */
const TAG_TTL_MS = 30 * 24 * 3_600_000
const LEASE_MS = 2_000
/** How often an instance without the lease polls for the value another one is filling (`CACHE_LEASE_WAIT_MS`: how long). */
const LEASE_POLL_MS = 10
const BREAKER_THRESHOLD = 3
const BREAKER_OPEN_MS = 1_000

export interface EntityStats {
  /** Hits in Redis or memory, and in the L1. */
  hits: number
  /** The hits the L1 answered. */
  l1Hits: number
  misses: number
  /** Hits on a cached "not found". */
  negativeHits: number
  errors: number
  /** Lookups run because of a miss, a bypass or a failure. */
  lookups: number
  fills: number
  /** Misses answered by another instance's fill while this one waited on its lease. */
  leaseWaits: number
}

export interface CacheStats {
  readonly backend: "redis" | "memory" | "off"
  readonly breaker: "closed" | "open"
  readonly totals: EntityStats
  readonly entities: Readonly<Record<string, EntityStats>>
  /** Redis' `used_memory` and the key count of its database; `None` without Redis or when it does not answer. */
  readonly redis: Option.Option<{ readonly usedMemoryBytes: number; readonly keys: number }>
}

export interface Lookup<S extends Schema.Codec<any, any>, E, R> {
  /** What is cached, e.g. `service`; names the key and the statistics. */
  readonly entity: string
  /** The id, or `paramsKey(...)` of the query. */
  readonly key: string
  readonly schema: S
  /** Of the value's shape: bump it when the schema changes. */
  readonly version?: number
  readonly ttl: Duration.Input
  readonly tags: ReadonlyArray<string>
  /** The value from the database; `None` is "not found" (cached briefly). */
  readonly lookup: Effect.Effect<Option.Option<S["Type"]>, E, R>
}

export interface CacheService {
  readonly get: <S extends Schema.Codec<any, any>, E, R>(o: Lookup<S, E, R>) => Effect.Effect<Option.Option<S["Type"]>, E, R>
  /** `get` for a value that always exists (a page, a list): no "not found" to cache. */
  readonly value: <S extends Schema.Codec<any, any>, E, R>(
    o: Omit<Lookup<S, E, R>, "lookup"> & { readonly lookup: Effect.Effect<S["Type"], E, R> }
  ) => Effect.Effect<S["Type"], E, R>
  /** Makes every entry carrying one of `tags` a miss, everywhere. Call it after the write commits. */
  readonly invalidate: (tags: ReadonlyArray<string>) => Effect.Effect<void>
  readonly stats: Effect.Effect<CacheStats>
}

export class Cache extends Context.Service<Cache, CacheService>()("maplehustle/infra/Cache") {}

/**
 * A stable key for query parameters: absent and `undefined` fields dropped,
 * fields sorted, hashed. Callers pass parameters with their defaults applied,
 * so `?sort=newest` and no `sort` are the same entry.
 */
export const paramsKey = (params: Readonly<Record<string, string | number | boolean | undefined | null>>): string => {
  const canonical = Object.keys(params).filter((name) => params[name] !== undefined && params[name] !== null).sort()
    .map((name) => `${name}=${encodeURIComponent(String(params[name]))}`).join("&")
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 22)
}

/**
 * The raw string store under the cache: Redis (answers are promises), or a
 * bounded map in memory (answers at once: a promise per read would cost each
 * request a trip through the event loop).
 */
type Reply<A> = A | Promise<A>
interface Store {
  readonly kind: "redis" | "memory"
  readonly mget: (keys: ReadonlyArray<string>) => Reply<Array<string | null>>
  readonly set: (key: string, value: string, ttlMs: number) => Reply<unknown>
  /** For each key: set `tokens[i]` unless it exists; answers the token in force. */
  readonly initTags: (keys: ReadonlyArray<string>, tokens: ReadonlyArray<string>) => Reply<Array<string | null>>
  readonly replaceTags: (keys: ReadonlyArray<string>, tokens: ReadonlyArray<string>) => Reply<unknown>
  readonly acquire: (key: string, token: string, ttlMs: number) => Reply<boolean>
  readonly release: (key: string, token: string) => Reply<unknown>
  readonly info: () => Reply<{ readonly usedMemoryBytes: number; readonly keys: number } | null>
}

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

const redisStore = (client: IORedis): Store => ({
  kind: "redis",
  mget: (keys) => client.mget(...keys),
  set: (key, value, ttlMs) => client.set(key, value, "PX", ttlMs),
  initTags: async (keys, tokens) => {
    const pipeline = client.pipeline()
    keys.forEach((key, i) => pipeline.set(key, tokens[i]!, "PX", TAG_TTL_MS, "NX").get(key))
    const results = (await pipeline.exec()) ?? []
    return keys.map((_, i) => {
      const [error, value] = results[2 * i + 1] ?? [new Error("no reply"), null]
      if (error) throw error
      return value as string | null
    })
  },
  replaceTags: async (keys, tokens) => {
    const pipeline = client.pipeline()
    keys.forEach((key, i) => pipeline.set(key, tokens[i]!, "PX", TAG_TTL_MS))
    const results = (await pipeline.exec()) ?? []
    for (const [error] of results) if (error) throw error
  },
  acquire: async (key, token, ttlMs) => (await client.set(key, token, "PX", ttlMs, "NX")) === "OK",
  release: (key, token) => client.eval(RELEASE_SCRIPT, 1, key, token),
  info: async () => {
    const [memory, keys] = await Promise.all([client.info("memory"), client.dbsize()])
    const used = /^used_memory:(\d+)/m.exec(memory)
    return { usedMemoryBytes: used ? Number(used[1]) : 0, keys }
  }
})

/** The embedded default: one process, so no lease is ever contended; the oldest entries go beyond `capacity`. */
const memoryStore = (capacity: number): Store => {
  const entries = new Map<string, { value: string; expiresAt: number }>()
  const read = (key: string) => {
    const entry = entries.get(key)
    if (entry === undefined) return null
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key)
      return null
    }
    return entry.value
  }
  const write = (key: string, value: string, ttlMs: number) => {
    entries.delete(key)
    entries.set(key, { value, expiresAt: Date.now() + ttlMs })
    if (entries.size > capacity) entries.delete(entries.keys().next().value!)
  }
  return {
    kind: "memory",
    mget: (keys) => keys.map(read),
    set: (key, value, ttlMs) => write(key, value, ttlMs),
    initTags: (keys, tokens) =>
      keys.map((key, i) => {
        const current = read(key)
        if (current !== null) return current
        write(key, tokens[i]!, TAG_TTL_MS)
        return tokens[i]!
      }),
    replaceTags: (keys, tokens) => keys.forEach((key, i) => write(key, tokens[i]!, TAG_TTL_MS)),
    acquire: (key, token, ttlMs) => {
      if (read(key) !== null) return false
      write(key, token, ttlMs)
      return true
    },
    release: (key, token) => {
      if (read(key) === token) entries.delete(key)
    },
    info: () => null
  }
}

class CacheUnavailable extends Data.TaggedError("CacheUnavailable")<{ readonly message: string }> {}

const emptyStats = (): EntityStats => ({ hits: 0, l1Hits: 0, misses: 0, negativeHits: 0, errors: 0, lookups: 0, fills: 0, leaseWaits: 0 })

/**
 * The in-process L1: decoded values by key with their tags, least recently
 * used evicted beyond `capacity`. `epoch` moves on every invalidation, and a
 * value read or filled before it moved is not kept, so no fill that raced an
 * invalidation survives it here either.
 */
class L1 {
  private readonly entries = new Map<string, { readonly value: Option.Option<unknown>; readonly tags: ReadonlyArray<string>; readonly expiresAt: number }>()
  private readonly byTag = new Map<string, Set<string>>()
  epoch = 0
  /** Whether invalidations from other instances are arriving; the L1 is neither read nor filled otherwise. */
  subscribed = false

  private readonly capacity: number
  private readonly ttlMs: number

  constructor(capacity: number, ttlMs: number) {
    this.capacity = capacity
    this.ttlMs = ttlMs
  }

  get(key: string): Option.Option<Option.Option<unknown>> {
    const entry = this.subscribed ? this.entries.get(key) : undefined
    if (entry === undefined) return Option.none()
    if (entry.expiresAt <= Date.now()) {
      this.delete(key)
      return Option.none()
    }
    this.entries.delete(key)
    this.entries.set(key, entry)
    return Option.some(entry.value)
  }

  set(key: string, value: Option.Option<unknown>, tags: ReadonlyArray<string>, epoch: number) {
    if (!this.subscribed || epoch !== this.epoch) return
    this.delete(key)
    this.entries.set(key, { value, tags, expiresAt: Date.now() + this.ttlMs })
    for (const tag of tags) {
      let keys = this.byTag.get(tag)
      if (keys === undefined) this.byTag.set(tag, keys = new Set())
      keys.add(key)
    }
    if (this.entries.size > this.capacity) this.delete(this.entries.keys().next().value!)
  }

  invalidate(tags: ReadonlyArray<string>) {
    this.epoch++
    for (const tag of tags) for (const key of [...this.byTag.get(tag) ?? []]) this.delete(key)
  }

  clear() {
    this.epoch++
    this.entries.clear()
    this.byTag.clear()
  }

  private delete(key: string) {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.entries.delete(key)
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag)
      keys?.delete(key)
      if (keys?.size === 0) this.byTag.delete(tag)
    }
  }
}

/**
 * The L1 over Redis' `client`, subscribed to the invalidations every instance
 * publishes on `channel`; emptied whenever the subscription comes back, since
 * messages may have been missed meanwhile.
 */
const subscribedL1 = (client: IORedis, channel: string, capacity: number, ttlMs: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const l1 = new L1(capacity, ttlMs)
      const subscriber = client.duplicate({ connectionName: "maplehustle-cache-l1", enableOfflineQueue: true, autoResubscribe: false })
      subscriber.on("message", (_channel: string, message: string) => l1.invalidate(message.split("\n")))
      // On every (re)connection: subscribe, and only once subscribed start afresh and serve the L1.
      subscriber.on("ready", () => {
        subscriber.subscribe(channel).then(() => {
          l1.clear()
          l1.subscribed = true
        }, () => undefined)
      })
      subscriber.on("close", () => {
        l1.subscribed = false
      })
      // An error only means Redis is away: "close" has stopped the L1, and ioredis reconnects.
      subscriber.on("error", () => undefined)
      subscriber.connect().catch(() => undefined)
      return { l1, subscriber }
    }),
    ({ subscriber }) => Effect.sync(() => subscriber.disconnect())
  )

interface Envelope {
  readonly t: ReadonlyArray<string>
  readonly v: unknown
}

/**
 * The envelope of an entry, its tags' tokens when its lookup started and the
 * encoded value (`null`: not found), with its codec built once per schema.
 * Synchronous: the Effect-returning decoders run every field through the
 * fiber's loop, and a hit then spent its operation budget and waited a turn
 * of the event loop (a third of the cached route's throughput).
 */
const envelopes = new WeakMap<Schema.Top, {
  readonly decode: (raw: string) => Option.Option<Envelope>
  readonly encode: (envelope: Envelope) => string
}>()
const envelopeOf = (schema: Schema.Codec<any, any>) => {
  let codec = envelopes.get(schema)
  if (codec === undefined) {
    const json = Schema.fromJsonString(Schema.toCodecJson(Schema.Struct({ t: Schema.Array(Schema.String), v: Schema.NullOr(schema) })))
    codec = { decode: Schema.decodeUnknownOption(json), encode: Schema.encodeSync(json) }
    envelopes.set(schema, codec)
  }
  return codec
}

const jittered = (ms: number) => Math.round(ms * (0.9 + Math.random() * 0.2))

export const make = Effect.gen(function*() {
  const redis = yield* Redis
  const enabled = yield* Settings.flag("CACHE_ENABLED", true)
  const timeout = yield* Settings.millis("CACHE_TIMEOUT_MS", 50)
  const leaseWait = Duration.toMillis(yield* Settings.millis("CACHE_LEASE_WAIT_MS", 250))
  const capacity = yield* Settings.int("CACHE_MEMORY_MAX_ENTRIES", { default: 10_000, min: 1 })
  const prefix = yield* Settings.redisKeyPrefix
  const store = Option.match(redis.client, { onNone: () => memoryStore(capacity), onSome: redisStore })
  const invalidations = `${prefix}:cache:invalidations`
  const l1 = Option.isSome(redis.client) && enabled && (yield* Settings.flag("CACHE_L1_ENABLED", false))
    ? (yield* subscribedL1(
      redis.client.value,
      invalidations,
      yield* Settings.int("CACHE_L1_MAX_ENTRIES", { default: 10_000, min: 1 }),
      Duration.toMillis(yield* Settings.millis("CACHE_L1_TTL_MS", 5_000))
    )).l1
    : undefined

  const totals = emptyStats()
  const entities = new Map<string, EntityStats>()
  const statsOf = (entity: string) => {
    let stats = entities.get(entity)
    if (stats === undefined) {
      stats = emptyStats()
      entities.set(entity, stats)
    }
    return stats
  }
  const context = yield* Effect.context<never>()
  const reads = Metrics.attributed(Metrics.cacheRequests)
  const results: Partial<Record<keyof EntityStats, string>> = { hits: "hit", negativeHits: "negative_hit", misses: "miss", errors: "error" }
  const count = (stats: EntityStats, field: keyof EntityStats, entity: string) => {
    stats[field]++
    totals[field]++
    const result = results[field]
    if (result !== undefined) reads(`${entity} ${result}`, () => ({ entity, result })).updateUnsafe(1, context)
  }

  let failures = 0
  let openUntil = 0
  /** Tags whose invalidation has not reached the store yet. */
  const pending = new Set<string>()

    // One failure for every command while the breaker is open: no stack captured per request.
  const circuitOpen = Effect.fail(new CacheUnavailable({ message: "circuit open" }))

  /** One store command: bounded in time, counted by the breaker; fails fast while the breaker is open. */
  const command = <A>(run: () => Reply<A>): Effect.Effect<A, CacheUnavailable> =>
    Effect.suspend(() => {
      // The memory store answers at once and cannot fail.
      if (store.kind === "memory") return Effect.sync(run as () => A)
      if (failures >= BREAKER_THRESHOLD && Date.now() < openUntil) return circuitOpen
      return Effect.tryPromise({
        try: run as () => Promise<A>,
        catch: (cause) => new CacheUnavailable({ message: cause instanceof Error ? cause.message : String(cause) })
      }).pipe(
        Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(new CacheUnavailable({ message: "timed out" })) }),
        Effect.tapError((error) =>
          Effect.suspend(() => {
            failures++
            if (failures < BREAKER_THRESHOLD) return Effect.void
            const wasClosed = Date.now() >= openUntil && failures === BREAKER_THRESHOLD
            openUntil = Date.now() + BREAKER_OPEN_MS
            return wasClosed ? Effect.logWarning(`cache unavailable (${error.message}); reading from the database`) : Effect.void
          })
        ),
        Effect.tap(() =>
          Effect.suspend(() => {
            const recovered = failures >= BREAKER_THRESHOLD
            failures = 0
            return recovered ? Effect.logInfo("cache available again") : Effect.void
          })
        )
      )
    })

  const tagKey = (tag: string) => `${prefix}:tag:${tag}`

  /**
   * New tokens for `tags`, then the message that evicts them from every
   * instance's L1 (sent whether or not this one has an L1: others may).
   */
  const replaceTokens = (tags: ReadonlyArray<string>) =>
    command(() => store.replaceTags(tags.map(tagKey), tags.map(() => randomUUID()))).pipe(
      Effect.andThen(Option.match(redis.client, {
        onNone: () => Effect.void,
        onSome: (client) => Effect.ignore(command(() => client.publish(invalidations, tags.join("\n"))))
      }))
    )

  const invalidate = (tags: ReadonlyArray<string>): Effect.Effect<void> =>
    tags.length === 0 || !enabled ? Effect.void : Effect.suspend(() => {
      l1?.invalidate(tags)
      return replaceTokens(tags).pipe(
        Effect.catch(() =>
          Effect.sync(() => {
            for (const tag of tags) pending.add(tag)
          })
        )
      )
    })

  // Invalidations that could not reach Redis, retried until they land.
  yield* Effect.forkScoped(
    Effect.suspend(() => {
      if (pending.size === 0) return Effect.void
      const tags = [...pending]
      return Effect.ignore(Effect.tap(replaceTokens(tags), () => Effect.sync(() => tags.forEach((tag) => pending.delete(tag)))))
    }).pipe(Effect.repeat(Schedule.spaced("200 millis")))
  )

  /** In-process single flight: the exit of the lookup in progress for a key. */
  const flights = new Map<string, Deferred.Deferred<Option.Option<unknown>, unknown>>()

  /**
   * Decides at each run, not when the Effect is built (the L1, the epoch and
   * pending invalidations are the state of that moment).
   */
  const get = <S extends Schema.Codec<any, any>, E, R>(o: Lookup<S, E, R>): Effect.Effect<Option.Option<S["Type"]>, E, R> =>
    Effect.suspend(() => getNow(o))

  const getNow = <S extends Schema.Codec<any, any>, E, R>(o: Lookup<S, E, R>): Effect.Effect<Option.Option<S["Type"]>, E, R> => {
    const stats = statsOf(o.entity)
    const direct = Effect.suspend(() => {
      count(stats, "lookups", o.entity)
      return o.lookup
    })
    if (!enabled) return direct
    const tags = ["all", ...o.tags]
    if (pending.size > 0 && tags.some((tag) => pending.has(tag))) return direct
    const key = `${prefix}:v${o.version ?? 1}:${o.entity}:${o.key}`

    /** A hit in `tier`: counted, and marked on the request's span. */
    const served = (tier: Store["kind"] | "l1", value: Option.Option<S["Type"]>) => {
      const negative = Option.isNone(value)
      count(stats, negative ? "negativeHits" : "hits", o.entity)
      if (tier === "l1" && !negative) count(stats, "l1Hits", o.entity)
      return Effect.as(spanEvent({ "cache.entity": o.entity, "cache.tier": tier, "cache.hit": true, "cache.negative": negative }), value)
    }

    if (l1 !== undefined) {
      const near = l1.get(key)
      if (Option.isSome(near)) return served("l1", near.value as Option.Option<S["Type"]>)
    }
    // The L1's epoch before this read: a value is kept there only if no invalidation came meanwhile.
    const epoch = l1?.epoch ?? 0
    const keys = [key, ...tags.map(tagKey)]
    const envelope = envelopeOf(o.schema)

    /** The entry's value if it is there and every tag token still matches `tokens`. */
    const valid = (raw: string | null, tokens: ReadonlyArray<string | null>): Option.Option<Option.Option<S["Type"]>> => {
      if (raw === null) return Option.none()
      const entry = envelope.decode(raw)
      if (Option.isNone(entry)) return Option.none()
      const { t, v } = entry.value
      return t.length === tokens.length && t.every((token, i) => token === tokens[i])
        ? Option.some(Option.fromNullishOr(v as S["Type"] | null))
        : Option.none()
    }

    const fill = (tokens: ReadonlyArray<string | null>) =>
      Effect.gen(function*() {
        const missing = tokens.flatMap((token, i) => token === null ? [i] : [])
        const known = [...tokens]
        if (missing.length > 0) {
          const initialised = yield* command(() => store.initTags(missing.map((i) => keys[i + 1]!), missing.map(() => randomUUID())))
          missing.forEach((i, n) => known[i] = initialised[n] ?? null)
        }
        if (known.some((token) => token === null)) return yield* new CacheUnavailable({ message: "tag tokens unavailable" })
        const lease = `${prefix}:lease:${key}`
        const holder = randomUUID()
        if (!(yield* command(() => store.acquire(lease, holder, LEASE_MS)))) {
          const deadline = Date.now() + leaseWait
          while (Date.now() < deadline) {
            yield* Effect.sleep(LEASE_POLL_MS)
            const [raw] = yield* command(() => store.mget([key]))
            const found = valid(raw ?? null, known)
            if (Option.isSome(found)) {
              count(stats, "leaseWaits", o.entity)
              return found.value
            }
          }
          return yield* direct
        }
        const value = yield* Effect.ensuring(direct, Effect.ignore(command(() => store.release(lease, holder))))
        const raw = envelope.encode({ t: known as Array<string>, v: Option.getOrNull(value) })
        const ttl = Option.isSome(value) ? Duration.toMillis(Duration.fromInputUnsafe(o.ttl)) : NEGATIVE_TTL_MS
        yield* command(() => store.set(key, raw, jittered(ttl))).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              count(stats, "fills", o.entity)
              l1?.set(key, value, tags, epoch)
            })
          ),
          Effect.catch(() => Effect.sync(() => count(stats, "errors", o.entity)))
        )
        return value
      }).pipe(
        // The store failed before the lookup ran: read the database, cache nothing.
        Effect.catchTag("CacheUnavailable", () =>
          Effect.andThen(Effect.sync(() => count(stats, "errors", o.entity)), direct))
      )

    /** Runs `fill` once per key in this process; concurrent misses wait for its exit. */
    const singleFlight = (tokens: ReadonlyArray<string | null>) =>
      Effect.suspend(() => {
        const inFlight = flights.get(key)
        if (inFlight !== undefined) {
          return Effect.flatMap(Deferred.await(inFlight).pipe(Effect.exit), (exit) =>
            Exit.isSuccess(exit) ? Effect.succeed(exit.value as Option.Option<S["Type"]>) : direct)
        }
        const deferred = Deferred.makeUnsafe<Option.Option<unknown>, unknown>()
        flights.set(key, deferred)
        return fill(tokens).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              flights.delete(key)
              Deferred.doneUnsafe(deferred, exit)
            })
          )
        )
      })

    const attributes = { "cache.entity": o.entity, "cache.tier": store.kind }
    return command(() => store.mget(keys)).pipe(
      Effect.matchEffect({
        onFailure: () => {
          count(stats, "errors", o.entity)
          return Effect.andThen(spanEvent({ ...attributes, "cache.hit": false, "cache.error": true }), direct)
        },
        onSuccess: ([raw, ...tokens]) => {
          const found = valid(raw ?? null, tokens)
          if (Option.isSome(found)) {
            l1?.set(key, found.value, tags, epoch)
            return served(store.kind, found.value)
          }
          count(stats, "misses", o.entity)
          return singleFlight(tokens).pipe(
            Effect.withSpan(`cache.fill ${o.entity}`, { attributes: { ...attributes, "cache.hit": false } }, {
              captureStackTrace: false
            })
          )
        }
      })
    )
  }

  const stats = Effect.gen(function*() {
    const redisInfo = store.kind === "redis"
      ? yield* command(() => store.info()).pipe(Effect.map(Option.fromNullishOr), Effect.orElseSucceed(() => Option.none()))
      : Option.none()
    return {
      backend: enabled ? store.kind : "off",
      breaker: failures >= BREAKER_THRESHOLD && Date.now() < openUntil ? "open" : "closed",
      totals: { ...totals },
      entities: Object.fromEntries([...entities].map(([name, s]) => [name, { ...s }])),
      redis: redisInfo
    } satisfies CacheStats
  })

  return Cache.of({
    get,
    // The lookup never answers `None`, so neither does the entry it fills.
    value: (o) => Effect.map(get({ ...o, lookup: Effect.asSome(o.lookup) }), Option.getOrThrow),
    invalidate,
    stats
  })
})

export const layer = Layer.effect(Cache, make)

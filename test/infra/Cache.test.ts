/**
 * The cache against the real Redis: hits, misses and expiry, negative
 * entries, values that no longer decode, tags (including a fill that races
 * an invalidation), the optional L1 kept coherent across instances, the
 * stampede across four instances, and a Redis that dies
 * mid-test and comes back.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Option, Schedule, Schema } from "effect"
import { Redis as IORedis } from "ioredis"
import * as Cache from "../../src/infra/Cache.ts"
import { awaitRedisPing, spawnRedis } from "../utils/LocalServers.ts"
import { freePort } from "../utils/ServiceProcess.ts"
import { TestRedis, testRedisUrl } from "../utils/TestInfra.ts"

const Item = Schema.Struct({ id: Schema.String, name: Schema.String, at: Schema.Date })

/**
 * A `Cache` on `redisUrl` (the test Redis by default) under `prefix`: instances with one prefix share entries.
 * The command timeout is generous (a stalled test process must not turn a hit into a lookup) except where a
 * test breaks Redis and passes its own.
 */
const cacheOn = (prefix: string, redisUrl?: string, settings: Record<string, string> = {}) =>
  Layer.fresh(Cache.layer).pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_KEY_PREFIX: prefix, CACHE_TIMEOUT_MS: "1000", ...settings }))),
    Layer.provideMerge(TestRedis(redisUrl))
  )

const build = <A, E>(layer: Layer.Layer<A, E>) => Effect.flatMap(Layer.build(layer), (context) => Effect.succeed(context))

/** A lookup that counts its runs and answers `value` (or nothing) after `delay`. */
const counted = (value: Option.Option<typeof Item.Type>, delay: Duration.Input = 0) => {
  let runs = 0
  const lookup = Effect.suspend(() => {
    runs++
    return Effect.as(Effect.sleep(delay), value)
  })
  return { lookup, runs: () => runs }
}

const item = (name: string) => ({ id: "item-1", name, at: new Date("2026-01-02T03:04:05.678Z") })

const entry = (lookup: Effect.Effect<Option.Option<typeof Item.Type>>, o: { readonly tags?: ReadonlyArray<string>; readonly ttl?: Duration.Input; readonly version?: number } = {}) => ({
  entity: "item",
  key: "item-1",
  schema: Item,
  ttl: o.ttl ?? "1 minute",
  tags: o.tags ?? ["item:1"],
  lookup,
  ...(o.version !== undefined && { version: o.version })
})

const newPrefix = () => `test-cache-${crypto.randomUUID()}`

describe("Cache", () => {
  it.live("a miss fills, a hit decodes what the schema encoded, an entry expires after its TTL", () =>
    Effect.gen(function*() {
      const cache = yield* Cache.Cache
      const source = counted(Option.some(item("Scarf")))
      const first = yield* cache.get(entry(source.lookup, { ttl: "300 millis" }))
      const second = yield* cache.get(entry(source.lookup, { ttl: "300 millis" }))
      assert.deepStrictEqual(second, first)
      assert.instanceOf(Option.getOrThrow(second).at, Date)
      assert.strictEqual(source.runs(), 1)
      // Expiry: the entry goes within its TTL ± 10 %.
      yield* cache.get(entry(source.lookup, { ttl: "300 millis" })).pipe(
        Effect.repeat({ until: () => source.runs() === 2, schedule: Schedule.spaced("25 millis") }),
        Effect.timeout("2 seconds")
      )
      const stats = (yield* cache.stats).entities.item!
      assert.isAtLeast(stats.hits, 1)
      assert.strictEqual(stats.fills, 2)
    }).pipe(Effect.provide(cacheOn(newPrefix()))))

  it.live("not found is cached too, and briefly", () =>
    Effect.gen(function*() {
      const cache = yield* Cache.Cache
      const source = counted(Option.none())
      assert.isTrue(Option.isNone(yield* cache.get(entry(source.lookup))))
      assert.isTrue(Option.isNone(yield* cache.get(entry(source.lookup))))
      assert.strictEqual(source.runs(), 1)
      assert.strictEqual((yield* cache.stats).entities.item!.negativeHits, 1)
    }).pipe(Effect.provide(cacheOn(newPrefix()))))

  it.live("a corrupt value, or one written for another version of the schema, is a miss", () => {
    const prefix = newPrefix()
    return Effect.gen(function*() {
      const cache = yield* Cache.Cache
      const source = counted(Option.some(item("Scarf")))
      yield* cache.get(entry(source.lookup))
      const redis = new IORedis(yield* testRedisUrl)
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.quit()))
      yield* Effect.promise(() => redis.set(`${prefix}:v1:item:item-1`, "{not json"))
      assert.strictEqual(Option.getOrThrow(yield* cache.get(entry(source.lookup))).name, "Scarf")
      assert.strictEqual(source.runs(), 2, "the corrupt entry was a miss")
      // The entry as written, its tokens intact, with a value of another shape.
      const Json = Schema.fromJsonString(Schema.Struct({ t: Schema.Array(Schema.String), v: Schema.Unknown }))
      const stored = Schema.decodeUnknownSync(Json)(yield* Effect.promise(() => redis.get(`${prefix}:v1:item:item-1`)))
      yield* Effect.promise(() => redis.set(`${prefix}:v1:item:item-1`, Schema.encodeSync(Json)({ t: stored.t, v: { id: 1 } })))
      yield* cache.get(entry(source.lookup))
      assert.strictEqual(source.runs(), 3, "a value that no longer decodes is a miss")
      yield* cache.get(entry(source.lookup, { version: 2 }))
      assert.strictEqual(source.runs(), 4, "version 2 does not read version 1's entry")
      yield* cache.get(entry(source.lookup, { version: 2 }))
      assert.strictEqual(source.runs(), 4)
    }).pipe(Effect.scoped, Effect.provide(cacheOn(prefix)))
  })

  it.live("invalidating a tag makes its entries misses on every instance; a fill that raced the write is never served", () =>
    Effect.gen(function*() {
      const prefix = newPrefix()
      const a = yield* build(cacheOn(prefix))
      const b = yield* build(cacheOn(prefix))
      const onA = <X, E>(effect: Effect.Effect<X, E, Cache.Cache>) => Effect.provide(effect, a)
      const onB = <X, E>(effect: Effect.Effect<X, E, Cache.Cache>) => Effect.provide(effect, b)
      let name = "Scarf"
      const lookup = Effect.sync(() => Option.some(item(name)))
      assert.strictEqual(Option.getOrThrow(yield* onA(Cache.Cache.use((c) => c.get(entry(lookup, { tags: ["item:1", "shop:9"] }))))).name, "Scarf")
      name = "Mittens"
      yield* onB(Cache.Cache.use((c) => c.invalidate(["shop:9"])))
      assert.strictEqual(Option.getOrThrow(yield* onA(Cache.Cache.use((c) => c.get(entry(lookup, { tags: ["item:1", "shop:9"] }))))).name, "Mittens")

      // The lookup reads the old row, then the write commits and invalidates, then the fill lands: it must not be served.
      yield* onA(Cache.Cache.use((c) => c.invalidate(["item:1"])))
      const racing = Effect.gen(function*() {
        const read = item(name)
        name = "Gloves"
        yield* onB(Cache.Cache.use((c) => c.invalidate(["item:1"])))
        return Option.some(read)
      })
      assert.strictEqual(Option.getOrThrow(yield* onA(Cache.Cache.use((c) => c.get(entry(racing))))).name, "Mittens")
      assert.strictEqual(Option.getOrThrow(yield* onB(Cache.Cache.use((c) => c.get(entry(lookup))))).name, "Gloves")
    }).pipe(Effect.scoped))

  it.live("the L1: hits stay in process; an invalidation on any instance evicts them everywhere; a raced fill is not kept", () =>
    Effect.gen(function*() {
      const prefix = newPrefix()
      const withL1 = { CACHE_L1_ENABLED: "true" }
      const a = yield* build(cacheOn(prefix, undefined, withL1))
      const b = yield* build(cacheOn(prefix, undefined, withL1))
      const on = (instance: typeof a) => <X, E>(effect: Effect.Effect<X, E, Cache.Cache>) => Effect.provide(effect, instance)
      const read = (instance: typeof a, lookup: Effect.Effect<Option.Option<typeof Item.Type>>) =>
        on(instance)(Cache.Cache.use((c) => c.get(entry(lookup)))).pipe(Effect.map((found) => Option.getOrThrow(found).name))
      const l1Hits = (instance: typeof a) => on(instance)(Cache.Cache.use((c) => c.stats)).pipe(Effect.map((s) => s.entities.item?.l1Hits ?? 0))
      let name = "Scarf"
      const lookup = Effect.sync(() => Option.some(item(name)))
      // Each instance subscribes as it starts; until then its L1 is not used.
      yield* Effect.gen(function*() {
        yield* read(a, lookup)
        yield* read(b, lookup)
        return (yield* l1Hits(a)) > 0 && (yield* l1Hits(b)) > 0
      }).pipe(Effect.repeat({ until: (both) => both, schedule: Schedule.spaced("20 millis") }), Effect.timeout("5 seconds"))

      // An L1 hit reads neither Redis nor the lookup; an invalidation must still show.
      name = "Mittens"
      const before = yield* l1Hits(b)
      assert.strictEqual(yield* read(b, lookup), "Scarf")
      assert.strictEqual(yield* l1Hits(b), before + 1, "served from b's L1")
      yield* on(a)(Cache.Cache.use((c) => c.invalidate(["item:1"])))
      assert.strictEqual(yield* read(a, lookup), "Mittens", "the invalidating instance at once")
      yield* read(b, lookup).pipe(
        Effect.repeat({ until: (seen) => seen === "Mittens", schedule: Schedule.spaced("5 millis") }),
        Effect.timeout("2 seconds")
      )

      // A fill that read the old row before the write's invalidation (in this process) is not kept in the L1.
      const racing = Effect.gen(function*() {
        const old = item(name)
        name = "Gloves"
        yield* on(a)(Cache.Cache.use((c) => c.invalidate(["item:1"])))
        return Option.some(old)
      })
      yield* on(a)(Cache.Cache.use((c) => c.invalidate(["item:1"])))
      assert.strictEqual(yield* read(a, racing), "Mittens", "the raced fill answers its own request")
      assert.strictEqual(yield* read(a, lookup), "Gloves", "and is served to no one else")
    }).pipe(Effect.scoped))

  it.live("a stampede: 200 concurrent misses of one cold key over four instances run the lookup once", () =>
    Effect.gen(function*() {
      const prefix = newPrefix()
      // Generous bounds: on a loaded machine a slow command or a late fill would (rightly) send a reader to the database.
      const instances = yield* Effect.forEach([1, 2, 3, 4], () =>
        build(cacheOn(prefix, undefined, { CACHE_TIMEOUT_MS: "2000", CACHE_LEASE_WAIT_MS: "5000" })))
      const source = counted(Option.some(item("Scarf")), "60 millis")
      const results = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => instances[i % 4]!),
        (instance) => Effect.provide(Cache.Cache.use((c) => c.get(entry(source.lookup))), instance),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(source.runs(), 1)
      assert.isTrue(results.every((r) => Option.getOrThrow(r).name === "Scarf"))
      const waits = yield* Effect.forEach(instances, (instance) =>
        Effect.provide(Cache.Cache.use((c) => Effect.map(c.stats, (s) => s.entities.item?.leaseWaits ?? 0)), instance))
      assert.strictEqual(waits.filter((n) => n > 0).length, 3, "the three instances without the lease waited for the fill")
    }).pipe(Effect.scoped))

  it.live("Redis dies mid-test: every read is still answered, quickly, and the cache resumes when it returns", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const start = () => spawnRedis(port)
      let server = start()
      yield* Effect.addFinalizer(() => Effect.sync(() => server.kill("SIGKILL")))
      const url = `redis://127.0.0.1:${port}/0`
      yield* Effect.gen(function*() {
        yield* awaitRedisPing
        const cache = yield* Cache.Cache
        const source = counted(Option.some(item("Scarf")))
        yield* cache.get(entry(source.lookup))
        yield* cache.get(entry(source.lookup))
        assert.strictEqual(source.runs(), 1)

        server.kill("SIGKILL")
        const timings = yield* Effect.forEach(Array.from({ length: 50 }), () =>
          Effect.map(Effect.timed(cache.get(entry(source.lookup))), ([elapsed, value]) => {
            assert.strictEqual(Option.getOrThrow(value).name, "Scarf")
            return Duration.toMillis(elapsed)
          }))
        assert.strictEqual(source.runs(), 51, "every read went to the database")
        // Bounds with room for a loaded machine: the command timeout is 50 ms, the lookup answers at once; a read
        // queued for a Redis that never comes back would wait for the test's timeout.
        assert.isBelow(Math.max(...timings), 1_000, "no read waited on the dead Redis beyond the command timeout")
        const sorted = [...timings].sort((x, y) => x - y)
        assert.isBelow(sorted[Math.floor(sorted.length / 2)]!, 20, "with the breaker open a read costs the lookup alone")
        assert.strictEqual((yield* cache.stats).breaker, "open")

        server = start()
        yield* awaitRedisPing
        // Once the breaker closes and the client has reconnected, a read fills and the next one hits.
        const hitsAgain = Effect.gen(function*() {
          yield* cache.get(entry(source.lookup))
          const runs = source.runs()
          yield* cache.get(entry(source.lookup))
          return source.runs() === runs
        })
        yield* hitsAgain.pipe(Effect.repeat({ until: (hit) => hit, schedule: Schedule.spaced("50 millis") }), Effect.timeout("8 seconds"))
        assert.strictEqual((yield* cache.stats).breaker, "closed")
      }).pipe(Effect.provide(cacheOn(newPrefix(), url, { CACHE_TIMEOUT_MS: "50" })))
    }).pipe(Effect.scoped), 30_000)

  it.live("the L1 stops serving while its subscription is down and starts afresh when it is back", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const start = () => spawnRedis(port)
      let server = start()
      yield* Effect.addFinalizer(() => Effect.sync(() => server.kill("SIGKILL")))
      const settings = { CACHE_L1_ENABLED: "true", CACHE_L1_TTL_MS: "60000", CACHE_TIMEOUT_MS: "200" }
      yield* Effect.gen(function*() {
        yield* awaitRedisPing
        const cache = yield* Cache.Cache
        let name = "Scarf"
        const lookup = Effect.sync(() => Option.some(item(name)))
        const read = Effect.map(cache.get(entry(lookup)), (found) => Option.getOrThrow(found).name)
        const l1Hits = Effect.map(cache.stats, (s) => s.entities.item?.l1Hits ?? 0)
        yield* Effect.andThen(read, l1Hits).pipe(Effect.repeat({ until: (n) => n > 0, schedule: Schedule.spaced("20 millis") }), Effect.timeout("5 seconds"))

        // Redis gone: invalidations from elsewhere cannot arrive, so the L1 is not read; the row changes meanwhile.
        server.kill("SIGKILL")
        name = "Mittens"
        yield* read.pipe(Effect.repeat({ until: (seen) => seen === "Mittens", schedule: Schedule.spaced("20 millis") }), Effect.timeout("5 seconds"))

        // Back: the L1 starts empty (messages were missed), so the old value never comes back from it.
        server = start()
        const hitsBefore = yield* l1Hits
        const seen: Array<string> = []
        yield* Effect.andThen(Effect.map(read, (n) => seen.push(n)), l1Hits).pipe(
          Effect.repeat({ until: (n) => n > hitsBefore, schedule: Schedule.spaced("20 millis") }),
          Effect.timeout("10 seconds")
        )
        assert.deepStrictEqual([...new Set(seen)], ["Mittens"])
      }).pipe(Effect.provide(cacheOn(newPrefix(), `redis://127.0.0.1:${port}/0`, settings)))
    }).pipe(Effect.scoped), 30_000)

  it.live("Redis hangs: reads are answered without it; an invalidation made meanwhile lands when it wakes", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const server = spawnRedis(port)
      yield* Effect.addFinalizer(() => Effect.sync(() => server.kill("SIGKILL")))
      yield* Effect.gen(function*() {
        yield* awaitRedisPing
        const cache = yield* Cache.Cache
        let name = "Scarf"
        const lookup = Effect.sync(() => Option.some(item(name)))
        yield* cache.get(entry(lookup))

        // Stopped, not killed: the connection stays up, commands get no answer, the data survives.
        server.kill("SIGSTOP")
        const timings = yield* Effect.forEach(Array.from({ length: 20 }), () =>
          Effect.map(Effect.timed(cache.get(entry(lookup))), ([elapsed]) => Duration.toMillis(elapsed)))
        // The command timeout is 50 ms; without it a read would wait for as long as Redis is stopped.
        assert.isBelow(Math.max(...timings), 1_000, "no read waits beyond the command timeout")
        assert.strictEqual((yield* cache.stats).breaker, "open")
        // A write commits while Redis hangs: its invalidation cannot land yet, and this instance stops reading the entry.
        name = "Mittens"
        yield* cache.invalidate(["item:1"])
        assert.strictEqual(Option.getOrThrow(yield* cache.get(entry(lookup))).name, "Mittens")

        server.kill("SIGCONT")
        // Once the invalidation has landed and the breaker closed, the entry from before is a miss: the hit is fresh.
        const hitsAgain = Effect.gen(function*() {
          const before = (yield* cache.stats).totals.hits
          const value = yield* cache.get(entry(lookup))
          return (yield* cache.stats).totals.hits > before ? Option.some(Option.getOrThrow(value).name) : Option.none()
        })
        const hit = yield* hitsAgain.pipe(Effect.repeat({ until: Option.isSome, schedule: Schedule.spaced("50 millis") }), Effect.timeout("8 seconds"))
        assert.deepStrictEqual(hit, Option.some("Mittens"))
      }).pipe(Effect.provide(cacheOn(newPrefix(), `redis://127.0.0.1:${port}/0`, { CACHE_TIMEOUT_MS: "50" })))
    }).pipe(Effect.scoped), 30_000)

  it.effect("the key of query parameters ignores their order and absent fields", () =>
    Effect.sync(() => {
      assert.strictEqual(Cache.paramsKey({ b: 2, a: "x", c: undefined }), Cache.paramsKey({ a: "x", b: 2 }))
      assert.notStrictEqual(Cache.paramsKey({ a: "x" }), Cache.paramsKey({ a: "y" }))
      assert.notStrictEqual(Cache.paramsKey({ a: "x&b=2" }), Cache.paramsKey({ a: "x", b: 2 }))
    }))
})

/**
 * API.md's limits with the limiter on: per-address limits of register, login
 * and refresh, the per-email login lockout (also against a burst of
 * concurrent guesses), and the in-memory fallback that
 * keeps them when Redis is down.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { HttpClientRequest } from "effect/http"
import { RateLimiter } from "../../src/infra/RateLimiter.ts"
import { send } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestAppWith, TestRateLimiter, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
let counter = 0
const email = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${counter++}@example.ca`
const PASSWORD = "Maple-Syrup-2026"
const register = (address: string) => send(post("/auth/register", { email: address, password: PASSWORD, name: "Jean Dupuis", role: "client" }))
const login = (address: string, password: string) => send(post("/auth/login", { email: address, password }))

const Limited = () => TestAppWith({ rateLimits: true }).pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis())))
const options = { timeout: "60 seconds", excludeTestServices: true } as const

describe("rate limits", () => {
  it.layer(Limited(), options)("per address", (it) => {
    it.effect("register allows 5 a minute from one address, then 429 with Retry-After", () =>
      Effect.gen(function*() {
        for (let i = 0; i < 5; i++) assert.strictEqual((yield* register(email("r"))).status, 201, `registration ${i + 1}`)
        const limited = yield* register(email("r"))
        assert.deepStrictEqual([limited.status, limited.body._tag], [429, "RateLimited"])
        assert.isAtLeast(Number(limited.headers["retry-after"]), 1)
        assert.isAtMost(Number(limited.headers["retry-after"]), 60)
        assert.strictEqual(limited.body.retry_after_s, Number(limited.headers["retry-after"]))
      }))

    it.effect("login allows 10 a minute from one address", () =>
      Effect.gen(function*() {
        const statuses = yield* Effect.forEach(Array.from({ length: 11 }), (_, i) => Effect.map(login(email(`l${i}`), PASSWORD), (r) => r.status))
        assert.deepStrictEqual(statuses, [...Array.from({ length: 10 }, () => 401), 429])
      }))
  })

  it.layer(Limited(), options)("per email", (it) => {
    it.effect("5 failed logins lock the email for 15 minutes, even for the right password; other emails are free", () =>
      Effect.gen(function*() {
        const victim = email("victim")
        const other = email("other")
        yield* register(victim)
        yield* register(other)
        for (let i = 0; i < 5; i++) assert.strictEqual((yield* login(victim, "Wrong-Guess-1")).status, 401)
        const locked = yield* login(victim.toUpperCase(), PASSWORD)
        assert.deepStrictEqual([locked.status, locked.body._tag], [429, "RateLimited"])
        assert.isAbove(Number(locked.headers["retry-after"]), 800)
        assert.isAtMost(Number(locked.headers["retry-after"]), 900)
        assert.strictEqual((yield* login(other, PASSWORD)).status, 200)
      }))
  })

  it.layer(Limited(), options)("per email, at once", (it) => {
    it.effect("a burst of guesses at one email gets 5, not one per request: each counts before it is checked", () =>
      Effect.gen(function*() {
        const victim = email("burst")
        yield* register(victim)
        const statuses = yield* Effect.forEach(Array.from({ length: 8 }), (_, i) => Effect.map(login(victim, `Wrong-Guess-${i}`), (r) => r.status), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual([...statuses].sort(), [401, 401, 401, 401, 401, 429, 429, 429])
      }))
  })

  it.layer(TestRateLimiter(true).pipe(Layer.provide(TestRedis("redis://127.0.0.1:1/0"))), options)("without Redis", (it) => {
    it.effect("counts in memory: a Redis outage does not lift a limit", () =>
      Effect.gen(function*() {
        const limiter = yield* RateLimiter
        const results = yield* Effect.forEach(Array.from({ length: 4 }), () => limiter.hit("fallback", 3, 60_000))
        assert.deepStrictEqual(results.map(Option.isSome), [false, false, false, true])
        const window = Option.getOrThrow(results[3]!)
        assert.isAtMost(window.resetInMs, 60_000)
        yield* limiter.reset("fallback")
        assert.isTrue(Option.isNone(yield* limiter.hit("fallback", 3, 60_000)))
      }))
  })
})

/**
 * API.md's limits with the limiter on: per-address limits of register, login
 * and refresh (also behind trusted proxies, and ignoring forwarded addresses
 * from anyone else), the per-email login lockout (also against a burst of
 * concurrent guesses), and the in-memory fallback that
 * keeps them when Redis is down.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { IpNetwork } from "effect/net"
import { HttpClientRequest } from "effect/http"
import { TrustedProxies } from "../../src/infra/HttpEdge.ts"
import { RateLimiter } from "../../src/infra/RateLimiter.ts"
import { send } from "../utils/Http.ts"
import { uniqueEmail } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestAppWith, TestRateLimiter, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const PASSWORD = "Maple-Syrup-2026"
const register = (address: string) => send(post("/auth/register", { email: address, password: PASSWORD, name: "Jean Dupuis", role: "client" }))
const login = (address: string, password: string) => send(post("/auth/login", { email: address, password }))

const loginFrom = (forwardedFor: string, address: string) =>
  send(post("/auth/login", { email: address, password: PASSWORD }).pipe(HttpClientRequest.setHeader("x-forwarded-for", forwardedFor)))

/** The app with its limits on; `trustedProxies`: behind those proxies (`TRUSTED_PROXIES`). */
const Limited = (trustedProxies?: string) =>
  TestAppWith({ rateLimits: true, ...(trustedProxies === undefined ? {} : { trustedProxies }) }).pipe(
    Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))
  )
const options = { timeout: "60 seconds", excludeTestServices: true } as const

describe("rate limits", () => {
  it.layer(Limited(), options)("per address", (it) => {
    it.effect("register allows 5 a minute from one address, then 429 with Retry-After", () =>
      Effect.gen(function*() {
        for (let i = 0; i < 5; i++) assert.strictEqual((yield* register(uniqueEmail("r"))).status, 201, `registration ${i + 1}`)
        const limited = yield* register(uniqueEmail("r"))
        assert.deepStrictEqual([limited.status, limited.body._tag], [429, "RateLimited"])
        assert.isAtLeast(Number(limited.headers["retry-after"]), 1)
        assert.isAtMost(Number(limited.headers["retry-after"]), 60)
        assert.strictEqual(limited.body.retry_after_s, Number(limited.headers["retry-after"]))
      }))

    it.effect("login allows 10 a minute from one address", () =>
      Effect.gen(function*() {
        const statuses = yield* Effect.forEach(Array.from({ length: 11 }), (_, i) => Effect.map(login(uniqueEmail(`l${i}`), PASSWORD), (r) => r.status))
        assert.deepStrictEqual(statuses, [...Array.from({ length: 10 }, () => 401), 429])
      }))
  })

  it.layer(Limited(), options)("per address, behind no trusted proxy", (it) => {
    it.effect("X-Forwarded-For from the client's own socket is ignored: a new header each time buys no new budget", () =>
      Effect.gen(function*() {
        const statuses = yield* Effect.forEach(Array.from({ length: 11 }), (_, i) =>
          Effect.map(loginFrom(`203.0.113.${i + 1}`, uniqueEmail(`s${i}`)), (r) => r.status))
        assert.deepStrictEqual(statuses, [...Array.from({ length: 10 }, () => 401), 429])
      }))
  })

  // The test's client connects over loopback: the proxy in front of the service.
  it.layer(Limited("127.0.0.1, ::1"), options)("per address, behind TRUSTED_PROXIES", (it) => {
    it.effect("each forwarded client has its own budget; a spoofed entry left of the proxy's does not count", () =>
      Effect.gen(function*() {
        const first = yield* Effect.forEach(Array.from({ length: 11 }), (_, i) =>
          Effect.map(loginFrom("198.51.100.7", uniqueEmail(`p${i}`)), (r) => r.status))
        assert.deepStrictEqual(first, [...Array.from({ length: 10 }, () => 401), 429])
        assert.strictEqual((yield* loginFrom("198.51.100.8", uniqueEmail("q"))).status, 401, "another client is not limited")
        // The client sent "6.6.6.6"; the proxy appended the address it saw: the limit is that address's.
        assert.strictEqual((yield* loginFrom("6.6.6.6, 198.51.100.7", uniqueEmail("r"))).status, 429)
      }))
  })

  it.effect("TRUSTED_PROXIES names each entry that is not an address or network; unset, nothing is trusted", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        Effect.exit(Effect.provide(Effect.gen(function*() {
          return (yield* TrustedProxies).map(IpNetwork.format)
        }), ConfigProvider.layer(ConfigProvider.fromUnknown(env))))
      assert.deepStrictEqual(yield* read({}), Exit.succeed([]))
      assert.deepStrictEqual(yield* read({ TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.7,fd00::/8" }), Exit.succeed(["10.0.0.0/8", "192.0.2.7/32", "fd00::/8"]))
      const bad = yield* read({ TRUSTED_PROXIES: "10.0.0.0/8, proxy.internal, 10.0.0.0/33" })
      assert.isTrue(Exit.isFailure(bad))
      assert.match(String(bad), /not an IP address or network: proxy\.internal, 10\.0\.0\.0\/33/)
    }))

  it.layer(Limited(), options)("per email", (it) => {
    it.effect("5 failed logins lock the email for 15 minutes, even for the right password; other emails are free", () =>
      Effect.gen(function*() {
        const victim = uniqueEmail("victim")
        const other = uniqueEmail("other")
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
        const victim = uniqueEmail("burst")
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

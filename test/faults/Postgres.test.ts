/**
 * Postgres faults against the service in its own process: every pool
 * connection terminated under traffic, the database unreachable for a while
 * (through a TCP proxy the test cuts), a statement cancelled by the statement
 * timeout, and a pool exhausted by slow requests.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import pg from "pg"
import type { UserId } from "../../src/domain/User.ts"
import { AccessTokens } from "../../src/users/AccessTokens.ts"
import { databaseWithService, statusOf, traffic, until } from "../utils/Faults.ts"
import { userWithToken, withToken } from "../utils/Http.ts"
import { awaitStatus, type ServiceProcess, startService } from "../utils/ServiceProcess.ts"
import { type TcpProxy, tcpProxy } from "../utils/TcpProxy.ts"
import { onAdmin, queryOn, TestDatabase } from "../utils/TestDatabase.ts"
import { TEST_JWT_SECRET, TestSecrets } from "../utils/TestInfra.ts"


/** What a test starts, released after it whatever happens: the database's scope, service processes, proxies. */
interface Resources {
  readonly scope: Scope.Closeable
  readonly services: Array<ServiceProcess>
  readonly proxies: Array<TcpProxy>
}

const withResources = (body: (resources: Resources) => Promise<void>) => async () => {
  const resources: Resources = { scope: Effect.runSync(Scope.make()), services: [], proxies: [] }
  try {
    await body(resources)
  } finally {
    resources.services.forEach((service) => service.child.kill("SIGKILL"))
    await Promise.all(resources.proxies.map((proxy) => proxy.close()))
    await Effect.runPromise(Scope.close(resources.scope, Exit.void))
  }
}

/** A TCP proxy in front of the test's Postgres, closed after the test. */
const postgresProxy = async (resources: Resources) => {
  const proxy = await tcpProxy({ host: "127.0.0.1", port: 5432 })
  resources.proxies.push(proxy)
  return proxy
}

/**
 * A database with one provider's service and the service process on it (its
 * `DATABASE_URL` through `proxy` when given), ready.
 */
const setUp = async (resources: Resources, env: Record<string, string>, proxy?: TcpProxy) => {
  const { name, providerId, serviceId, url } = await databaseWithService(resources.scope)
  const serviceUrl = new URL(url)
  if (proxy !== undefined) serviceUrl.port = String(proxy.port)
  const service = await startService({
    DATABASE_URL: serviceUrl.toString(),
    JWT_SECRET: TEST_JWT_SECRET,
    WORKERS_ENABLED: "false",
    CACHE_ENABLED: "false",
    ...env
  })
  resources.services.push(service)
  const base = `http://127.0.0.1:${service.port}`
  await awaitStatus(`${base}/health/ready`, 200, 30_000)
  const query = queryOn(url)
  /** Bearer tokens of the service's provider and of a new admin, signed as the service checks them. */
  const tokens = () =>
    Effect.runPromise(
      Effect.all({ provider: withToken(providerId as UserId, "provider"), admin: userWithToken("admin") }).pipe(
        Effect.map(({ admin, provider }) => ({ provider: provider.token, admin: admin.token })),
        Effect.provide(Layer.mergeAll(Layer.fresh(TestDatabase({ DATABASE_URL: url })), AccessTokens.layer.pipe(Layer.provide(TestSecrets))))
      )
    )
  return { base, service, serviceId, name, url, query, tokens }
}

const stopped = async (service: ServiceProcess) => {
  service.child.kill("SIGTERM")
  assert.strictEqual(await service.exited, 0)
}

describe("faults: Postgres", () => {
  it("every pool connection terminated under traffic: reads succeed, writes commit once or answer 503, the pool recovers at once", withResources(async (resources) => {
    const setup = await setUp(resources, { DB_POOL_MAX: "4" })
    const { base, name, query, service, serviceId } = setup
    const reads = traffic(6, () => statusOf(fetch(`${base}/services/${serviceId}`)))
    // A registration is four statements in one transaction: the user, its verification token, two email jobs.
    const writes = traffic(2, async (n) => {
      const email = `fault-${n}-${Date.now().toString(36)}@example.ca`
      const status = await statusOf(fetch(`${base}/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "Maple-Syrup-2026!", name: "Fault Test", role: "client" })
      }))
      return { email, status }
    })
    await until("traffic under way", async () => reads.answers.length > 30 && writes.answers.length > 2)
    for (let round = 0; round < 3; round++) {
      const terminated = await Effect.runPromise(onAdmin((sql) =>
        sql<{ pid: number }>`SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
                             WHERE datname = ${name} AND pid <> pg_backend_pid()`
      ).pipe(Effect.orDie))
      assert.isNotEmpty(terminated, "there were pool connections to terminate")
      if (round === 2) break
      const answered = reads.answers.length
      await until("reads answered since the termination", async () => reads.answers.length > answered + 20)
    }
    // A read served within a second of the last termination.
    await awaitStatus(`${base}/services/${serviceId}`, 200, 1_000)
    const answered = reads.answers.length
    await until("reads answered since", async () => reads.answers.length > answered + 20)
    const written = writes.answers.length
    await until("writes answered since", async () => writes.answers.length > written + 1)
    await Promise.all([reads.stop(), writes.stop()])

    assert.deepStrictEqual(reads.answers.filter((s) => s !== 200), [], "every read succeeded")
    const statuses = new Set(writes.answers.map((w) => w.status))
    assert.isTrue([...statuses].every((s) => s === 201 || s === 503), `writes answered ${[...statuses]}`)
    const created = writes.answers.filter((w) => w.status === 201).map((w) => w.email)
    const rows = await query(
      `SELECT u.email, (SELECT count(*)::int FROM all_jobs j WHERE j.task = 'SendEmail' AND j.payload->>'to' = u.email) AS jobs,
              (SELECT count(*)::int FROM user_tokens t WHERE t.user_id = u.id) AS tokens
       FROM users u WHERE u.email = ANY($1::text[])`,
      [writes.answers.map((w) => w.email)]
    )
    const stored = new Map(rows.map((r) => [r.email as string, r]))
    for (const email of created) assert.isTrue(stored.has(email), `${email} answered 201 and was stored`)
    for (const row of rows) {
      assert.deepStrictEqual({ jobs: row.jobs, tokens: row.tokens }, { jobs: 2, tokens: 1 }, `${row.email} is whole`)
    }
    await stopped(service)
  }), 90_000)

  it("Postgres unreachable: ready answers 503 and requests 503 at once, then 200 again when it is back", withResources(async (resources) => {
    const proxy = await postgresProxy(resources)
    const setup = await setUp(resources, { DB_CONNECT_TIMEOUT_MS: "500", DB_ACQUIRE_TIMEOUT_MS: "1000" }, proxy)
    const { base, service, serviceId } = setup
    proxy.cut()
    await awaitStatus(`${base}/health/ready`, 503, 10_000)
    const response = await fetch(`${base}/services/${serviceId}`)
    assert.strictEqual(response.status, 503)
    const body = await response.json() as { _tag: string; message: string }
    assert.strictEqual(body._tag, "ServiceUnavailable")
    assert.notMatch(JSON.stringify(body), /127\.0\.0\.1|5432|ECONN|postgres/i, "nothing of the connection leaks")
    // The scrape does not need the database: it answers, with the pool's gauges, while Postgres is away.
    const scrape = await fetch(`${base}/metrics`)
    assert.strictEqual(scrape.status, 200)
    assert.match(await scrape.text(), /^db_client_connection_max\S* 20$/m)
    proxy.restore()
    await awaitStatus(`${base}/health/ready`, 200, 10_000)
    assert.strictEqual(await statusOf(fetch(`${base}/services/${serviceId}`)), 200)
    await stopped(service)
  }), 90_000)

  it("a statement past DB_STATEMENT_TIMEOUT_MS is cancelled by Postgres and answers 503 without its SQL", withResources(async (resources) => {
    const setup = await setUp(resources, { DB_STATEMENT_TIMEOUT_MS: "300" })
    const { base, service, serviceId, url } = setup
    // Another session holds the table: the service's SELECT waits on the lock until Postgres cancels it.
    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    try {
      await holder.query("BEGIN")
      await holder.query("LOCK TABLE services IN ACCESS EXCLUSIVE MODE")
      const response = await fetch(`${base}/services/${serviceId}`)
      const text = await response.text()
      assert.strictEqual(response.status, 503)
      assert.match(text, /"_tag":"ServiceUnavailable"/)
      assert.notMatch(text, /SELECT|services\b.*WHERE|statement timeout|canceling/i, "no SQL or Postgres message leaks")
      await holder.query("ROLLBACK")
    } finally {
      await holder.end()
    }
    assert.strictEqual(await statusOf(fetch(`${base}/services/${serviceId}`)), 200)
    await stopped(service)
  }), 90_000)

  it("pool exhaustion: ten times more slow writes than connections wait, then fail fast with 503; the service recovers", withResources(async (resources) => {
    const proxy = await postgresProxy(resources)
    const setup = await setUp(
      resources,
      { DB_POOL_MAX: "2", DB_POOL_MIN: "2", DB_ACQUIRE_TIMEOUT_MS: "400", DB_POOL_MAX_WAITING: "8" },
      proxy
    )
    const { base, service, serviceId } = setup
    const token = await setup.tokens()
    // Every statement now takes at least 150 ms, and an update is three (the owner's lookup, the UPDATE, the
    // service read back): two connections serve about two updates a second, and twenty arrive at once.
    proxy.delayMs = 150
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const started = Date.now()
      const response = await fetch(`${base}/services/${serviceId}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", authorization: `Bearer ${token.provider}` },
        body: JSON.stringify({ title: `Walks ${i}` })
      })
      const body = await response.json() as { _tag?: string }
      return { status: response.status, tag: body._tag, ms: Date.now() - started }
    }))
    const ok = answers.filter((a) => a.status === 200)
    const refused = answers.filter((a) => a.status === 503)
    assert.strictEqual(ok.length + refused.length, answers.length, `only 200 and 503: ${answers.map((a) => a.status)}`)
    assert.isNotEmpty(ok, "the requests the pool could take were served")
    assert.isAtLeast(refused.length, 5, "the rest were refused")
    assert.isTrue(refused.every((a) => a.tag === "ServiceUnavailable"))
    const slowestRefusal = Math.max(...refused.map((a) => a.ms))
    assert.isBelow(slowestRefusal, 5_000, "no request queued without bound")
    proxy.delayMs = 0
    await awaitStatus(`${base}/services/${serviceId}`, 200, 2_000)
    // Both ways of refusing happened: waiters gave up after the acquire timeout, and past the waiting limit
    // requests were shed at once.
    const stats = await (await fetch(`${base}/ops/stats`, { headers: { authorization: `Bearer ${token.admin}` } })).json() as {
      pool: { timed_out: number; shed: number }
    }
    assert.isAbove(stats.pool.timed_out, 0, "waiters timed out")
    assert.isAbove(stats.pool.shed, 0, "requests were shed")
    // Concurrent lookups share a batched statement, so one refused checkout can refuse several requests.
    assert.isAtMost(stats.pool.timed_out + stats.pool.shed, refused.length)
    await stopped(service)
  }), 90_000)
})

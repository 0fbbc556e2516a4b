/**
 * The service as an operator runs it: `node src/main.ts` in its own process.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { Ping } from "../src/domain/Job.ts"
import type { UserId } from "../src/domain/User.ts"
import { JobQueue } from "../src/infra/JobQueue.ts"
import { AccessTokens } from "../src/users/AccessTokens.ts"
import { withToken } from "./utils/Http.ts"
import { awaitJob } from "./utils/Jobs.ts"
import { scopedDatabase, TestDatabase } from "./utils/TestDatabase.ts"
import { insertService, insertUser } from "./utils/fixtures.ts"
import { TEST_JWT_SECRET, TestSecrets, testRedisUrl } from "./utils/TestInfra.ts"
import { awaitStatus, type ServiceProcess, startService } from "./utils/ServiceProcess.ts"

const redisUrl = () => Effect.runSync(Effect.gen(function*() {
  return yield* testRedisUrl
}))

/**
 * Runs `body` against the service started on a database of its own (empty or
 * migrated), then stops it with SIGTERM, which must exit 0.
 */
const withServiceOnDatabase = async (
  options: { readonly migrated: boolean; readonly env: Record<string, string> },
  body: (service: ServiceProcess, databaseUrl: string) => Promise<void>
) => {
  const scope = Effect.runSync(Scope.make())
  try {
    const database = await Effect.runPromise(Scope.provide(scopedDatabase({ migrated: options.migrated }), scope))
    const url = Redacted.value(database.url)
    const service = await startService({ DATABASE_URL: url, ...options.env })
    try {
      await body(service, url)
      service.child.kill("SIGTERM")
      assert.strictEqual(await service.exited, 0)
    } finally {
      service.child.kill("SIGKILL")
    }
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const readyBody = async (port: number, timeoutMs: number) => {
  const response = await awaitStatus(`http://127.0.0.1:${port}/health/ready`, 200, timeoutMs)
  return await response.json() as { status: string; checks: { database: { backend: string }; cache: { backend: string } } }
}

describe("main", () => {
  it("boots on the embedded defaults, serves /docs and readiness, and exits 0 on SIGTERM", async () => {
    const dataDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-smoke-"))
    const service = await startService({ DATA_DIR: dataDir })
    try {
      const ready = await readyBody(service.port, 20_000)
      assert.strictEqual(ready.status, "ready")
      assert.strictEqual(ready.checks.database.backend, "pglite")
      assert.strictEqual(ready.checks.cache.backend, "memory")
      assert.strictEqual((await fetch(`http://127.0.0.1:${service.port}/docs`)).status, 200)
      assert.match(service.output().stdout, /database: embedded PGlite/)
      assert.match(service.output().stdout, /cache and rate limits: in-memory/)
      service.child.kill("SIGTERM")
      assert.strictEqual(await service.exited, 0)
    } finally {
      service.child.kill("SIGKILL")
      await Fs.rm(dataDir, { recursive: true, force: true })
    }
  }, 60_000)

  it("runs against the real Postgres and Redis, migrating an empty database and creating the configured admin", () =>
    withServiceOnDatabase({
      migrated: false,
      env: { REDIS_URL: redisUrl(), ADMIN_EMAIL: "ops@maplehustle.ca", ADMIN_PASSWORD: "Secret-Admin-Pass-1" }
    }, async (service) => {
      const ready = await readyBody(service.port, 20_000)
      assert.strictEqual(ready.status, "ready")
      assert.strictEqual(ready.checks.database.backend, "postgres")
      assert.strictEqual(ready.checks.cache.backend, "redis")
      assert.match(service.output().stdout, /applied \d+ migration/)
      assert.match(service.output().stdout, /created the admin account ops@maplehustle\.ca/)
      const login = await fetch(`http://127.0.0.1:${service.port}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "ops@maplehustle.ca", password: "Secret-Admin-Pass-1" })
      })
      assert.strictEqual(login.status, 200)
      const { access_token } = await login.json() as { access_token: string }
      const me = await fetch(`http://127.0.0.1:${service.port}/users/me`, { headers: { authorization: `Bearer ${access_token}` } })
      assert.strictEqual((await me.json() as { role: string }).role, "admin")
      assert.notMatch(service.output().stdout, /password|root@|Secret-Admin/)
    }), 60_000)

  it("two instances on one Postgres and one Redis: a write through one is read fresh through the other", async () => {
    const scope = Effect.runSync(Scope.make())
    const services: Array<ServiceProcess> = []
    try {
      const database = await Effect.runPromise(Scope.provide(scopedDatabase({ migrated: true }), scope))
      const url = Redacted.value(database.url)
      const env = { DATABASE_URL: url, REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}`, JWT_SECRET: TEST_JWT_SECRET, WORKERS_ENABLED: "false" }
      services.push(await startService(env), await startService(env))
      const [a, b] = services.map((service) => `http://127.0.0.1:${service.port}`)
      const { serviceId, token } = await Effect.runPromise(Effect.gen(function*() {
        const providerId = yield* insertUser("provider")
        const serviceId = yield* insertService(providerId)
        const { token } = yield* withToken(providerId as UserId, "provider")
        return { serviceId, token }
      }).pipe(Effect.provide(Layer.mergeAll(TestDatabase({ DATABASE_URL: url }), AccessTokens.layer.pipe(Layer.provide(TestSecrets))))))
      await Promise.all(services.map((service) => readyBody(service.port, 20_000)))
      const title = async (base: string) => (await (await fetch(`${base}/services/${serviceId}`)).json() as { title: string }).title
      assert.strictEqual(await title(b!), "Dog walks")
      assert.strictEqual(await title(b!), "Dog walks")
      const patched = await fetch(`${a}/services/${serviceId}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ title: "Evening dog walks" })
      })
      assert.strictEqual(patched.status, 200)
      assert.strictEqual(await title(b!), "Evening dog walks")
    } finally {
      services.forEach((service) => service.child.kill("SIGKILL"))
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 60_000)

  it("npm run worker: a workers-only process runs jobs and listens on no port", () =>
    withServiceOnDatabase({ migrated: true, env: { HTTP_ENABLED: "false", JOB_POLL_INTERVAL_MS: "100" } }, async (service, url) => {
      const database = TestDatabase({ DATABASE_URL: url })
      const id = await Effect.runPromise(
        JobQueue.use((queue) => queue.enqueue(new Ping({ id: "worker-only" }))).pipe(
          Effect.map((option) => option._tag === "Some" ? option.value : ""),
          Effect.provide(JobQueue.layer.pipe(Layer.provideMerge(database)))
        )
      )
      const done = await Effect.runPromise(
        awaitJob(id, (s) => s.status === "succeeded").pipe(Effect.provide(database), Effect.timeout("20 seconds"))
      )
      assert.strictEqual(done.attempts, 1)
      const refused = await fetch(`http://127.0.0.1:${service.port}/health/live`).then(() => false, () => true)
      assert.isTrue(refused, "nothing listens on PORT")
      assert.match(service.output().stdout, /workers: /)
    }), 60_000)

  it("stops at once with one line naming a bad setting", async () => {
    const service = await startService({ DATABASE_URL: "postgres://root@127.0.0.1:1/none", DB_POOL_MAX: "lots" })
    assert.strictEqual(await service.exited, 1)
    const stderr = service.output().stderr.trim()
    assert.strictEqual(stderr, "configuration error: DB_POOL_MAX: Expected an integer")
  }, 30_000)

  it("refuses a missing JWT_SECRET in production", async () => {
    const service = await startService({ NODE_ENV: "production", DATABASE_URL: "postgres://root@127.0.0.1:1/none" })
    assert.strictEqual(await service.exited, 1)
    assert.match(service.output().stderr.trim(), /^configuration error: JWT_SECRET: /)
  }, 30_000)
})

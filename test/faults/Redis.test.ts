/**
 * Redis killed and restarted under traffic, against a Redis of the test's own
 * (its own port) and the service in its own process: no request fails, the
 * login limit still holds during the outage (in-memory fallback), and the
 * cache serves hits again once Redis is back.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import type { ChildProcess } from "node:child_process"
import { databaseWithService, metricValue, statusOf, traffic, until } from "../utils/Faults.ts"
import { spawnRedis } from "../utils/LocalServers.ts"
import { awaitStatus, freePort, type ServiceProcess, startService } from "../utils/ServiceProcess.ts"
import { TEST_JWT_SECRET } from "../utils/TestInfra.ts"

const redisOn = (port: number) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawnRedis(port, "pipe")
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) resolve(child)
    })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready`)))
  })

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

const readiness = async (base: string) => ((await (await fetch(`${base}/health/ready`)).json()) as { status: string }).status

const cacheHits = (base: string) => metricValue(base, "cache_requests", `entity="service"`, `result="hit"`)

const failedLogin = (base: string, email: string) =>
  fetch(`${base}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "Not-the-password-1!" })
  }).then((r) => r.status)

describe("faults: Redis", () => {
  it("killed and restarted during traffic: zero failed requests, login limits still enforced, the cache resumes", async () => {
    const scope = Effect.runSync(Scope.make())
    let redis: ChildProcess | undefined
    let service: ServiceProcess | undefined
    try {
      const { serviceId, url } = await databaseWithService(scope)
      const redisPort = await freePort()
      redis = await redisOn(redisPort)
      service = await startService({
        DATABASE_URL: url,
        REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
        JWT_SECRET: TEST_JWT_SECRET,
        WORKERS_ENABLED: "false",
        RATE_LIMITS_ENABLED: "true"
      })
      const base = `http://127.0.0.1:${service.port}`
      await awaitStatus(`${base}/health/ready`, 200, 30_000)
      await fetch(`${base}/services/${serviceId}`)
      const hitsBefore = await cacheHits(base)

      const load = traffic(8, () => statusOf(fetch(`${base}/services/${serviceId}`)))
      await until("traffic under way", async () => load.answers.length > 50)
      await killed(redis)
      const answeredAtKill = load.answers.length
      // During the outage: the per-email login limit (5 failures) holds through the in-memory fallback.
      const email = `limit-${Date.now()}@example.ca`
      const attempts: Array<number> = []
      for (let i = 0; i < 6; i++) attempts.push(await failedLogin(base, email))
      assert.deepStrictEqual(attempts, [401, 401, 401, 401, 401, 429])
      assert.strictEqual(await readiness(base), "degraded", "ready but degraded: the cache is optional")
      await until("reads answered during the outage", async () => load.answers.length > answeredAtKill + 50)
      redis = await redisOn(redisPort)
      await until("Redis seen again", async () => (await readiness(base)) === "ready")
      // The restarted Redis is empty and the breaker probes again within a second: reads fill it and hit it.
      const hitsAtRestart = await cacheHits(base)
      assert.isAbove(hitsAtRestart, hitsBefore, "hits before the outage")
      await until("the cache serves hits again", async () => (await cacheHits(base)) > hitsAtRestart + 100)
      await load.stop()

      assert.deepStrictEqual(load.answers.filter((s) => s !== 200), [], "no request failed")
      service.child.kill("SIGTERM")
      assert.strictEqual(await service.exited, 0)
    } finally {
      service?.child.kill("SIGKILL")
      if (redis !== undefined) await killed(redis)
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 90_000)
})

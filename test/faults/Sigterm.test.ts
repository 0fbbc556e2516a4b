/**
 * SIGTERM to an API process with requests in flight: they complete, new
 * connections are refused, and the process exits 0. The database sits behind
 * a slow TCP proxy so that requests are still running when the signal lands.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { databaseWithService, metricValue, statusOf, until } from "../utils/Faults.ts"
import { awaitStatus, type ServiceProcess, startService } from "../utils/ServiceProcess.ts"
import { tcpProxy } from "../utils/TcpProxy.ts"
import { TEST_JWT_SECRET } from "../utils/TestInfra.ts"

const pendingRequests = (base: string) => metricValue(base, "db_client_connection_pending_requests")

describe("faults: SIGTERM", () => {
  it("to the API under load: requests in flight complete, new ones are refused, exit 0", async () => {
    const scope = Effect.runSync(Scope.make())
    const proxy = await tcpProxy({ host: "127.0.0.1", port: 5432 })
    let service: ServiceProcess | undefined
    try {
      const { providerId, url } = await databaseWithService(scope)
      const viaProxy = new URL(url)
      viaProxy.port = String(proxy.port)
      service = await startService({
        DATABASE_URL: viaProxy.toString(),
        JWT_SECRET: TEST_JWT_SECRET,
        WORKERS_ENABLED: "false",
        CACHE_ENABLED: "false",
        DB_POOL_MAX: "2"
      })
      const base = `http://127.0.0.1:${service.port}`
      await awaitStatus(`${base}/health/ready`, 200, 30_000)

      // Each statement now takes 250 ms: twenty listings (a query each; lookups by id would be batched into
      // one) on two connections keep the server busy for over two seconds.
      proxy.delayMs = 250
      const inFlight = Array.from({ length: 20 }, () => statusOf(fetch(`${base}/services?provider_id=${providerId}`)))
      // The pool keeps a request waiting only while every connection is in use.
      await until("requests waiting for a connection", async () => (await pendingRequests(base)) > 0)
      service.child.kill("SIGTERM")
      await until("new connections refused", () => fetch(`${base}/health/live`).then(() => false, () => true), 5_000)

      assert.deepStrictEqual(await Promise.all(inFlight), Array(20).fill(200), "every request in flight completed")
      assert.strictEqual(await service.exited, 0)
    } finally {
      service?.child.kill("SIGKILL")
      await proxy.close()
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 90_000)
})

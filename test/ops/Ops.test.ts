import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { Ping } from "../../src/domain/Job.ts"
import * as Cron from "../../src/infra/Cron.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const get = (path: string) => HttpClientRequest.get(path)
const post = (path: string) => HttpClientRequest.post(path)

describe("ops", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    (it) => {
      it.effect("every ops route needs an active admin: 401 without a valid token, 403 for other roles", () =>
        Effect.gen(function*() {
          const client = yield* userWithToken("client")
          const provider = yield* userWithToken("provider")
          const admin = yield* userWithToken("admin")
          const routes = [get("/ops/jobs"), post("/ops/jobs/1/retry"), post("/ops/jobs/1/cancel"), get("/ops/cron"), get("/ops/stats")]
          for (const route of routes) {
            const anonymous = yield* send(route)
            assert.strictEqual(anonymous.status, 401)
            assert.strictEqual(anonymous.body._tag, "Unauthorized")
            assert.strictEqual((yield* send(HttpClientRequest.bearerToken(route, "not-a-jwt"))).status, 401)
            assert.strictEqual((yield* send(client.as(route))).body._tag, "Forbidden")
            assert.strictEqual((yield* send(provider.as(route))).status, 403)
          }
          const sql = yield* SqlClient
          yield* sql`UPDATE users SET status = 'suspended' WHERE id = ${admin.id}`
          assert.strictEqual((yield* send(admin.as(get("/ops/stats")))).status, 401, "a suspended admin's token stops working at once")
        }))

      it.effect("lists jobs newest first, filtered, in stable keyset pages", () =>
        Effect.gen(function*() {
          const admin = yield* userWithToken("admin")
          const queue = yield* JobQueue
          const sql = yield* SqlClient
          yield* sql`DELETE FROM jobs`
          yield* queue.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ job: new Ping({ id: `p${i}` }) })))
          yield* queue.enqueue(new Ping({ id: "mail" }), { queue: "email" })
          const first = yield* send(admin.as(get("/ops/jobs?queue=default&limit=2")))
          assert.strictEqual(first.status, 200)
          assert.strictEqual(first.body.items.length, 2)
          assert.isString(first.body.next_cursor)
          assert.deepStrictEqual(Object.keys(first.body.items[0]).sort(), [
            "attempts", "created_at", "finished_at", "id", "last_error", "max_attempts", "queue", "run_at", "status", "task"
          ])
          // An insert between pages does not shift them.
          yield* queue.enqueue(new Ping({ id: "late" }))
          const second = yield* send(admin.as(get(`/ops/jobs?queue=default&limit=2&cursor=${first.body.next_cursor}`)))
          const third = yield* send(admin.as(get(`/ops/jobs?queue=default&limit=2&cursor=${second.body.next_cursor}`)))
          const ids = [...first.body.items, ...second.body.items, ...third.body.items].map((j: { id: string }) => Number(j.id))
          assert.strictEqual(ids.length, 5)
          assert.deepStrictEqual(ids, [...ids].sort((a, b) => b - a))
          assert.isNull(third.body.next_cursor)
          const pending = yield* send(admin.as(get("/ops/jobs?status=pending&queue=email")))
          assert.strictEqual(pending.body.items.length, 1)
          for (const bad of ["limit=0", "limit=101", "cursor=bm9wZQ", "status=exploded", "queue=nope"]) {
            const response = yield* send(admin.as(get(`/ops/jobs?${bad}`)))
            assert.strictEqual(response.status, 400, bad)
          }
        }))

      it.effect("retry revives dead jobs; cancel stops pending ones; other states answer 409, unknown ids 404", () =>
        Effect.gen(function*() {
          const admin = yield* userWithToken("admin")
          const sql = yield* SqlClient
          const [dead] = yield* sql<{ id: string }>`
            INSERT INTO jobs (task, payload, status, attempts, finished_at, last_error)
            VALUES ('Ping', '{"_tag":"Ping","id":"d"}', 'dead', 5, now(), 'boom') RETURNING id::text AS id`
          const [pending] = yield* sql<{ id: string }>`
            INSERT INTO jobs (task, payload) VALUES ('Ping', '{"_tag":"Ping","id":"p"}') RETURNING id::text AS id`
          assert.strictEqual((yield* send(admin.as(post(`/ops/jobs/${dead!.id}/retry`)))).status, 204)
          const revived = yield* sql<{ status: string; attempts: number }>`SELECT status, attempts FROM jobs WHERE id = ${dead!.id}::bigint`
          assert.deepStrictEqual([revived[0]!.status, revived[0]!.attempts], ["pending", 0])
          const conflict = yield* send(admin.as(post(`/ops/jobs/${pending!.id}/retry`)))
          assert.deepStrictEqual([conflict.status, conflict.body._tag], [409, "InvalidTransition"])
          assert.strictEqual((yield* send(admin.as(post(`/ops/jobs/${pending!.id}/cancel`)))).status, 204)
          assert.strictEqual((yield* send(admin.as(post(`/ops/jobs/${pending!.id}/cancel`)))).status, 409)
          const [done] = yield* sql<{ id: string }>`
            INSERT INTO completed_jobs (id, queue, task, payload, priority, run_at, attempts, max_attempts, created_at, finished_at)
            VALUES (900000003, 'default', 'Ping', '{}', 0, now(), 1, 5, now(), now()) RETURNING id::text AS id`
          assert.strictEqual((yield* send(admin.as(post(`/ops/jobs/${done!.id}/retry`)))).status, 409, "a succeeded job is not retried")
          const listed = yield* send(admin.as(get("/ops/jobs?status=succeeded")))
          assert.deepStrictEqual(listed.body.items.map((j: { id: string; status: string }) => [j.id, j.status]), [["900000003", "succeeded"]])
          const missing = yield* send(admin.as(post("/ops/jobs/999999999/retry")))
          assert.deepStrictEqual([missing.status, missing.body._tag], [404, "NotFound"])
          assert.strictEqual((yield* send(admin.as(post("/ops/jobs/abc/cancel")))).status, 400)
        }))

      it.effect("cron lists each schedule with its next run; stats report the pool, the queues and Redis", () =>
        Effect.gen(function*() {
          const admin = yield* userWithToken("admin")
          yield* Layer.build(Cron.layer([{ name: "nightly-test", schedule: "0 2 * * *", job: () => new Ping({ id: "n" }) }]))
          const cron = yield* send(admin.as(get("/ops/cron")))
          const nightly = cron.body.find((c: { name: string }) => c.name === "nightly-test")
          assert.strictEqual(nightly.schedule, "0 2 * * *")
          assert.match(nightly.next_run_at, /T02:00:00\.000Z$/)
          const sql = yield* SqlClient
          yield* sql`DELETE FROM jobs`
          yield* sql`INSERT INTO jobs (queue, task, payload, run_at) VALUES ('email', 'SendEmail', '{}', now() - interval '30 seconds')`
          yield* sql`INSERT INTO jobs (queue, task, payload, status, attempts, finished_at, last_error, last_error_at)
                     VALUES ('email', 'SendEmail', '{}', 'dead', 5, now(), 'x', now())`
          // Succeeded after one failure, ten minutes ago: counts as a success and as a failure of the hour.
          yield* sql`INSERT INTO completed_jobs (id, queue, task, payload, priority, run_at, attempts, max_attempts,
                       last_error, last_error_at, created_at, finished_at)
                     VALUES (900000007, 'email', 'SendEmail', '{}', 0, now(), 2, 5, 'y', now() - interval '11 minutes',
                             now() - interval '12 minutes', now() - interval '10 minutes')`
          const stats = yield* send(admin.as(get("/ops/stats")))
          assert.strictEqual(stats.status, 200)
          assert.isAtLeast(stats.body.pool.max, 1)
          assert.isAtLeast(stats.body.pool.total, 1)
          assert.strictEqual(stats.body.pool.waiting, 0)
          assert.isAtLeast(stats.body.pool.acquired, 1, "this very request took connections")
          assert.deepStrictEqual([stats.body.pool.timed_out, stats.body.pool.shed], [0, 0])
          assert.isAtLeast(stats.body.pool.wait_ms_max, 0)
          assert.strictEqual(stats.body.queue.email.pending, 1)
          assert.strictEqual(stats.body.queue.email.dead, 1)
          assert.strictEqual(stats.body.queue.email.failed_last_hour, 2)
          assert.strictEqual(stats.body.queue.email.succeeded_last_hour, 1)
          assert.isAtLeast(stats.body.queue.email.oldest_pending_age_s, 29)
          assert.isAbove(stats.body.cache.redis.used_memory_bytes, 0)
        }).pipe(Effect.scoped))

      it.effect("GET /metrics is Prometheus text with the HTTP, database, pool and cache metrics, by route template", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const serviceId = yield* insertService(provider.id)
          yield* send(get(`/services/${serviceId}`))
          yield* send(get(`/services/${serviceId}`))
          yield* send(get(`/services/${crypto.randomUUID()}`))
          const scrape = yield* send(get("/metrics"))
          assert.strictEqual(scrape.status, 200)
          assert.match(scrape.headers["content-type"] ?? "", /^text\/plain; version=0\.0\.4/)
          const samples = scrape.text.split("\n").filter((line) => line !== "" && !line.startsWith("#"))
          const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.eE+-]+|NaN|[+-]Inf$/
          assert.deepStrictEqual(samples.filter((line) => !sample.test(line)), [], "every sample line parses")
          const has = (pattern: RegExp) => assert.isTrue(samples.some((line) => pattern.test(line)), `no sample matches ${pattern}`)
          has(/^http_server_request_duration_bucket\{.*http_route="\/services\/:id".*http_response_status_code="200"/)
          has(/^http_server_request_duration_count\{.*http_route="\/services\/:id".*http_response_status_code="404"/)
          has(/^db_client_operation_duration_count\{db_operation_name="SELECT"\}/)
          has(/^db_client_connection_count\{state="idle"\}/)
          has(/^db_client_connection_max /)
          has(/^jobs_queue_depth\{.*queue="email".*state="pending"/)
          has(/^cache_requests\{.*entity="service".*result="hit"/)
          has(/^cache_requests\{.*entity="service".*result="miss"/)
          assert.isFalse(samples.some((line) => line.includes(serviceId)), "no ids in labels")
        }))
    }
  )
})

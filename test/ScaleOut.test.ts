/**
 * Scale-out as `docs/deployment.md` describes it: two API processes and two
 * worker processes (separate OS processes) on one Postgres and one Redis,
 * driven by a scripted marketplace scenario through both APIs alternately.
 * Afterwards the database must be consistent: no overlapping bookings, stock
 * never negative and exactly what was sold, payments matching what they pay
 * for, every job run once (no retries, no duplicates, nothing dead), each
 * notification delivered once, each missed cron tick run once by one of the
 * two workers racing for it — and a write
 * through one API is read fresh through the other.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cron, Effect, Exit, Redacted, Scope } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseSchedule } from "../src/infra/Cron.ts"
import * as MaintenanceCron from "../src/maintenance/Cron.ts"
import { awaitStatus, type ServiceProcess, startService } from "./utils/ServiceProcess.ts"
import { queryOn, scopedDatabase } from "./utils/TestDatabase.ts"
import { TEST_JWT_SECRET, testRedisUrl } from "./utils/TestInfra.ts"

const ADMIN = { email: "scale-admin@example.ca", password: "Scale-Out-Admin-1!" }
const PASSWORD = "Maple-Syrup-2026!"
const PROVIDERS = 4
const CLIENTS = 12
const STOCK = 3

interface Answer {
  readonly status: number
  // Response bodies as the API documents them; the assertions read their fields.
  readonly body: any
}

/** A JSON client of one API process, as one user. */
const api = (base: string, token?: string) => async (method: string, path: string, body?: unknown): Promise<Answer> => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const expectStatus = (answer: Answer, status: number, what: string) => {
  assert.strictEqual(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`)
  return answer.body
}

const login = async (base: string, email: string, password: string) =>
  expectStatus(await api(base)("POST", "/auth/login", { email, password }), 200, `login ${email}`).access_token as string

/** Polls until no job is due or running (twice in a row: a finished job may enqueue the next). */
const quiescent = (query: (sql: string) => Promise<ReadonlyArray<Record<string, unknown>>>) => async () => {
  let idleChecks = 0
  for (let i = 0; i < 600 && idleChecks < 2; i++) {
    const [row] = await query(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('pending', 'running') AND run_at <= now()`)
    idleChecks = row!.n === 0 ? idleChecks + 1 : 0
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.strictEqual(idleChecks, 2, "the queue drained")
}

describe("scale-out", () => {
  it("two API and two worker processes on one Postgres and one Redis keep the marketplace consistent", async () => {
    const scope = Effect.runSync(Scope.make())
    const processes: Array<ServiceProcess> = []
    const dataDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-scale-"))
    try {
      const database = await Effect.runPromise(Scope.provide(scopedDatabase({ migrated: true }), scope))
      const url = Redacted.value(database.url)
      const shared = {
        DATABASE_URL: url,
        REDIS_URL: Effect.runSync(testRedisUrl),
        REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}`,
        JWT_SECRET: TEST_JWT_SECRET,
        DATA_DIR: dataDir,
        DB_POOL_MAX: "5"
      }
      const sql = queryOn(url)
      // Every schedule last ticked three days ago: both workers start at once and race to catch up its latest tick.
      const cron = await Effect.runPromise(MaintenanceCron.schedules)
      // The tick each schedule catches up on is its latest by the time the workers start; a later one may come due
      // while the test runs (hourly schedules), and runs once like any other.
      const firstDue = new Map(cron.map((c) => [c.name, Cron.prev(parseSchedule(c.schedule), new Date()).getTime()]))
      await sql(
        `INSERT INTO cron_schedules (name, schedule, last_tick_at) SELECT unnest($1::text[]), unnest($2::text[]), now() - interval '3 days'`,
        [cron.map((c) => c.name), cron.map((c) => c.schedule)]
      )
      const apiEnv = { ...shared, WORKERS_ENABLED: "false", ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }
      const workerEnv = { ...shared, HTTP_ENABLED: "false", JOB_POLL_INTERVAL_MS: "100" }
      processes.push(
        ...await Promise.all([startService(apiEnv), startService(apiEnv), startService(workerEnv), startService(workerEnv)])
      )
      const [apiA, apiB] = processes.slice(0, 2).map((p) => `http://127.0.0.1:${p.port}`) as [string, string]
      await Promise.all([apiA, apiB].map((base) => awaitStatus(`${base}/health/ready`, 200, 30_000)))
      const pick = (i: number) => i % 2 === 0 ? apiA : apiB

      // ---- people: providers approved by the admin, clients ----
      const admin = api(apiA, await login(apiB, ADMIN.email, ADMIN.password))
      const register = async (i: number, role: "provider" | "client") => {
        const email = `${role}-${i}-${Date.now().toString(36)}@example.ca`
        const user = expectStatus(
          await api(pick(i))("POST", "/auth/register", { email, password: PASSWORD, name: `${role} ${i}`, role, province_code: "ON" }),
          201,
          "register"
        )
        return { id: user.id as string, token: await login(pick(i + 1), email, PASSWORD) }
      }
      const providers = await Promise.all(Array.from({ length: PROVIDERS }, (_, i) => register(i, "provider")))
      const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => register(i, "client")))
      const asUser = (user: { token: string }, i: number) => api(pick(i), user.token)
      await Promise.all(providers.map(async (p, i) =>
        expectStatus(await admin("PATCH", `/users/${p.id}/verification`, { verification_status: "approved" }), 200, `approve ${i}`)
      ))

      // ---- catalog: a service, a day of availability and an item per provider ----
      const day = new Date(Math.ceil((Date.now() + 26 * 3_600_000) / 3_600_000) * 3_600_000)
      const at = (hours: number) => new Date(day.getTime() + hours * 3_600_000).toISOString()
      const catalog = await Promise.all(providers.map(async (p, i) => {
        const service = expectStatus(
          await asUser(p, i)("POST", "/services", { type: "dog_walking", title: `Walks ${i}`, description: "Long walks", hourly_rate: "30.00" }),
          201,
          "service"
        )
        expectStatus(await asUser(p, i + 1)("POST", "/availability", { start_at: at(0), end_at: at(10) }), 201, "slot")
        const item = expectStatus(
          await asUser(p, i)("POST", "/items", { name: `Scarf ${i}`, price: "20.00", inventory_quantity: STOCK }),
          201,
          "item"
        )
        return { serviceId: service.id as string, itemId: item.id as string }
      }))

      // ---- bookings: everyone races for provider 0's first hour; each also books an hour of its own ----
      const race = await Promise.all(clients.map((c, i) =>
        asUser(c, i)("POST", "/bookings", { service_id: catalog[0]!.serviceId, start_at: at(0), end_at: at(1) })
      ))
      assert.deepStrictEqual(race.map((r) => r.status).sort(), [201, ...Array(CLIENTS - 1).fill(409)], "one booking wins the hour")
      const own = await Promise.all(clients.map(async (c, i) => {
        const provider = 1 + (i % (PROVIDERS - 1))
        const hour = 1 + Math.floor(i / (PROVIDERS - 1))
        const booking = expectStatus(
          await asUser(c, i + 1)("POST", "/bookings", { service_id: catalog[provider]!.serviceId, start_at: at(hour), end_at: at(hour + 1) }),
          201,
          `booking of client ${i}`
        )
        return { booking, client: c, provider: providers[provider]!, i }
      }))
      const winner = race.find((r) => r.status === 201)!.body
      const booked = [...own, { booking: winner, client: clients.find((c) => c.id === winner.client_id)!, provider: providers[0]!, i: 0 }]

      // ---- each booking accepted, paid, discussed, completed by the admin and reviewed ----
      await Promise.all(booked.map(async ({ booking, client, i, provider }) => {
        expectStatus(await asUser(provider, i)("POST", `/bookings/${booking.id}/accept`), 200, "accept")
        const payment = expectStatus(
          await asUser(client, i + 1)("POST", "/payments", { booking_id: booking.id, payment_token: "tok_visa" }),
          201,
          "pay"
        )
        assert.strictEqual(payment.amount, booking.total_amount)
        expectStatus(
          await asUser(client, i)("POST", "/messages", { receiver_id: provider.id, booking_id: booking.id, content: "See you then!" }),
          201,
          "message"
        )
        expectStatus(await admin("POST", `/bookings/${booking.id}/complete`), 200, "complete")
        expectStatus(
          await asUser(client, i + 1)("POST", "/reviews", { booking_id: booking.id, rating: 5, comment: "A lovely long walk." }),
          201,
          "review"
        )
      }))

      // ---- orders: every client for the three scarves of provider 1, then the winners pay ----
      const orders = await Promise.all(clients.map((c, i) =>
        asUser(c, i)("POST", "/orders", {
          items: [{ item_id: catalog[1]!.itemId, quantity: 1 }],
          shipping_address: { line1: "1 King St W", city: "Toronto", province_code: "ON", postal_code: "M5H 1A1" }
        })
      ))
      assert.deepStrictEqual(orders.map((o) => o.status).sort(), [...Array(STOCK).fill(201), ...Array(CLIENTS - STOCK).fill(409)])
      await Promise.all(orders.flatMap((o, i) =>
        o.status === 201
          ? [asUser(clients[i]!, i + 1)("POST", "/payments", { order_id: o.body.id, payment_token: "tok_visa" }).then((r) => expectStatus(r, 201, "pay order"))]
          : []
      ))

      // ---- a write through one API, read at once through the other ----
      const serviceId = catalog[2]!.serviceId
      assert.strictEqual((await api(apiB)("GET", `/services/${serviceId}`)).body.title, "Walks 2")
      expectStatus(await asUser(providers[2]!, 0)("PATCH", `/services/${serviceId}`, { title: "Evening walks" }), 200, "patch")
      assert.strictEqual((await api(apiB)("GET", `/services/${serviceId}`)).body.title, "Evening walks")
      const profile = await api(apiA)("GET", `/users/${providers[1]!.id}`)
      assert.deepStrictEqual(profile.body.rating, { average: 5, count: booked.filter((b) => b.provider === providers[1]).length })

      // ---- the database afterwards ----
      await quiescent(sql)()
      const none = async (what: string, query: string) => assert.deepStrictEqual(await sql(query), [], what)
      await none(
        "no overlapping bookings",
        `SELECT a.id FROM bookings a JOIN bookings b ON a.provider_id = b.provider_id AND a.id < b.id
         WHERE a.status IN ('pending', 'accepted', 'completed') AND b.status IN ('pending', 'accepted', 'completed')
           AND a.period && b.period`
      )
      await none(
        "stock is what was not sold, never negative",
        `SELECT i.id FROM items i
         WHERE i.inventory_quantity < 0 OR i.inventory_quantity <> ${STOCK} - COALESCE((
           SELECT sum(oi.quantity) FROM order_items oi JOIN orders o ON o.id = oi.order_id
           WHERE oi.item_id = i.id AND o.status <> 'canceled'), 0)`
      )
      await none(
        "each payment is its booking's or order's total",
        `SELECT p.id FROM payments p LEFT JOIN bookings b ON b.id = p.booking_id LEFT JOIN orders o ON o.id = p.order_id
         WHERE p.status <> 'failed' AND p.amount <> COALESCE(b.total_amount, o.total_amount)`
      )
      const [paid] = await sql(
        `SELECT (SELECT count(*)::int FROM bookings WHERE status = 'completed') AS bookings,
                (SELECT count(*)::int FROM payments WHERE booking_id IS NOT NULL) AS booking_payments,
                (SELECT count(*)::int FROM orders WHERE status = 'paid') AS orders,
                (SELECT count(*)::int FROM payments WHERE order_id IS NOT NULL) AS order_payments`
      )
      assert.deepStrictEqual(paid, { bookings: CLIENTS + 1, bookingPayments: CLIENTS + 1, orders: STOCK, orderPayments: STOCK })
      await none("no job is dead", `SELECT id, task, last_error FROM jobs WHERE status = 'dead'`)
      // A job recorded twice, or a notification sent twice on one channel, the schema refuses (a primary key, a unique index).
      await none("every finished job ran once", `SELECT id, task, attempts FROM completed_jobs WHERE attempts <> 1`)
      await none("each cron tick enqueued once", `SELECT key FROM all_jobs WHERE key LIKE '%:____-__-__T%' GROUP BY key HAVING count(*) > 1`)
      const ticks = await sql(`SELECT key FROM all_jobs WHERE key LIKE '%:____-__-__T%' AND status = 'succeeded'`)
      const ran = ticks.map((t) => {
        const key = t.key as string
        const colon = key.indexOf(":")
        return { name: key.slice(0, colon), at: Date.parse(key.slice(colon + 1)) }
      })
      for (const [name, due] of firstDue) {
        const own = ran.filter((r) => r.name === name)
        assert.isNotEmpty(own, `${name}: its missed tick ran`)
        assert.isTrue(own.every((r) => r.at >= due), `${name}: no tick from before its latest was run (no backlog)`)
      }
      const [work] = await sql(
        `SELECT (SELECT count(*)::int FROM completed_jobs) AS jobs,
                (SELECT count(*)::int FROM notification_deliveries WHERE status = 'sent') AS deliveries`
      )
      assert.isAbove(work!.jobs as number, CLIENTS * 4, "the scenario's emails and notifications ran")
      assert.isAbove(work!.deliveries as number, CLIENTS, "notifications were delivered")
      const exits = await Promise.all(processes.map((p) => {
        p.child.kill("SIGTERM")
        return p.exited
      }))
      assert.deepStrictEqual(exits, [0, 0, 0, 0], "every process stops cleanly")
    } finally {
      processes.forEach((p) => p.child.kill("SIGKILL"))
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await Fs.rm(dataDir, { recursive: true, force: true })
    }
  }, 180_000)
})

// @effect-diagnostics processEnv:off
/**
 * `npm run bench:scale`: the load run of the scale-out setup in
 * `docs/deployment.md` — two API processes (`npm run api`) and two worker
 * processes (`npm run worker`) on one Postgres and one Redis. 10 providers
 * and 60 clients register through the APIs; then for `DURATION_S` every
 * client browses, books half-hours of random providers (conflicts expected),
 * pays and writes, and now and then orders an item, while every provider
 * accepts what is pending. Afterwards the queue drains and the database is
 * checked for the invariants `test/ScaleOut.test.ts` asserts. Writes
 * `docs/benchmarks/scale.md`; `BENCH_QUICK=1` for a short run (then nothing
 * is written).
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import pg from "pg"
import { freePort } from "../../test/utils/ServiceProcess.ts"
import { fmt, freshDatabase, log, median, quick, start, waitFor, writeReport } from "../support.ts"

const DURATION_S = quick ? 8 : 30
const PROVIDERS = 10
const CLIENTS = 60
const STOCK = 40
const DAYS = 7
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/14"
const PASSWORD = "Maple-Syrup-2026!"
const ADMIN = { email: "scale-admin@example.ca", password: "Scale-Out-Admin-1!" }

// ---- a fresh database and the four processes, which migrate it as they start (taking turns) ----

const databaseUrl = await freshDatabase("mh_bench_scale")

const dataDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-bench-scale-"))
const shared = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: `bench-scale-${Date.now()}`,
  DATA_DIR: dataDir,
  JWT_SECRET: "bench-secret-for-signing-access-tokens-0123456789",
  RATE_LIMITS_ENABLED: "false",
  LOG_LEVEL: "Warning",
  DB_POOL_MAX: "10"
}
const apiPorts = [await freePort(), await freePort()]
const processes = [
  ...apiPorts.map((port) => start(["src/main.ts"], { ...shared, PORT: String(port), WORKERS_ENABLED: "false", ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })),
  start(["src/main.ts"], { ...shared, HTTP_ENABLED: "false" }),
  start(["src/main.ts"], { ...shared, HTTP_ENABLED: "false" })
]
const bases = apiPorts.map((port) => `http://127.0.0.1:${port}`)
await Promise.all(bases.map((base) => waitFor(`${base}/health/ready`)))

// ---- requests, timed by operation ----

interface Stat {
  readonly latencies: Array<number>
  readonly statuses: Map<number, number>
}
const stats = new Map<string, Stat>()
/** Statuses each operation may answer besides 2xx (the marketplace's expected refusals). */
const expected: Record<string, ReadonlyArray<number> | undefined> = { book: [409], order: [409] }
const unexpected: Array<string> = []

let turn = 0
const call = async (operation: string, method: string, path: string, token?: string, body?: unknown) => {
  const base = bases[turn++ % bases.length]!
  const started = performance.now()
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  }).catch(() => undefined)
  const text = response === undefined ? "" : await response.text()
  const stat: Stat = stats.get(operation) ?? { latencies: [], statuses: new Map() }
  stats.set(operation, stat)
  stat.latencies.push(performance.now() - started)
  const status = response?.status ?? 0
  stat.statuses.set(status, (stat.statuses.get(status) ?? 0) + 1)
  if (status === 0 || (status >= 300 && !(expected[operation]?.includes(status) ?? false))) {
    unexpected.push(`${operation} ${method} ${path}: ${status} ${text.slice(0, 200)}`)
  }
  return { status, body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : undefined }
}

const login = async (email: string, password: string) =>
  (await call("login", "POST", "/auth/login", undefined, { email, password })).body.access_token as string

// ---- set-up: people, services, a week of availability, items ----

log(`registering ${PROVIDERS} providers and ${CLIENTS} clients`)
const adminToken = await login(ADMIN.email, ADMIN.password)
const register = async (role: "provider" | "client", i: number) => {
  const email = `${role}.${i}@scale.example.ca`
  const user = (await call("register", "POST", "/auth/register", undefined, { email, password: PASSWORD, name: `${role} ${i}`, role, province_code: "ON" })).body
  return { id: user.id as string, token: await login(email, PASSWORD) }
}
const providers = await Promise.all(Array.from({ length: PROVIDERS }, (_, i) => register("provider", i)))
const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => register("client", i)))
const firstDay = new Date(Math.ceil((Date.now() + 26 * 3_600_000) / 86_400_000) * 86_400_000 + 8 * 3_600_000)
const at = (day: number, halfHour: number) => new Date(firstDay.getTime() + day * 86_400_000 + halfHour * 1_800_000).toISOString()
const catalog = await Promise.all(providers.map(async (p, i) => {
  await call("approve", "PATCH", `/users/${p.id}/verification`, adminToken, { verification_status: "approved" })
  const service = (await call("create service", "POST", "/services", p.token, { type: "dog_walking", title: `Walks ${i}`, description: "Long walks in the park", hourly_rate: "30.00" })).body
  for (let day = 0; day < DAYS; day++) await call("create slot", "POST", "/availability", p.token, { start_at: at(day, 0), end_at: at(day, 20) })
  const item = (await call("create item", "POST", "/items", p.token, { name: `Scarf ${i}`, price: "20.00", inventory_quantity: STOCK })).body
  return { serviceId: service.id as string, itemId: item.id as string }
}))

// ---- the load ----

log(`load: ${DURATION_S} s`)
const random = (n: number) => Math.floor(Math.random() * n)
const deadline = Date.now() + DURATION_S * 1000
const clientLoop = async (client: { id: string; token: string }, i: number) => {
  for (let n = 0; Date.now() < deadline; n++) {
    const p = random(PROVIDERS)
    await call("search", "GET", "/search/services?q=walks&limit=20")
    await call("service", "GET", `/services/${catalog[p]!.serviceId}`)
    const slot = random(19)
    const day = random(DAYS)
    const booking = await call("book", "POST", "/bookings", client.token, { service_id: catalog[p]!.serviceId, start_at: at(day, slot), end_at: at(day, slot + 1) })
    if (booking.status === 201) {
      await call("pay", "POST", "/payments", client.token, { booking_id: booking.body.id, payment_token: "tok_visa" })
      await call("message", "POST", "/messages", client.token, { receiver_id: providers[p]!.id, booking_id: booking.body.id, content: "See you then!" })
    }
    if ((n + i) % 8 === 0) {
      const order = await call("order", "POST", "/orders", client.token, {
        items: [{ item_id: catalog[random(PROVIDERS)]!.itemId, quantity: 1 }],
        shipping_address: { line1: "1 King St W", city: "Toronto", province_code: "ON", postal_code: "M5H 1A1" }
      })
      if (order.status === 201) await call("pay", "POST", "/payments", client.token, { order_id: order.body.id, payment_token: "tok_visa" })
    }
  }
}
const providerLoop = async (provider: { id: string; token: string }) => {
  while (Date.now() < deadline) {
    const pending = await call("pending bookings", "GET", "/bookings?role=provider&status=pending&limit=50", provider.token)
    for (const booking of pending.body?.items ?? []) await call("accept", "POST", `/bookings/${booking.id}/accept`, provider.token)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
const loadStarted = performance.now()
await Promise.all([...clients.map(clientLoop), ...providers.map(providerLoop)])
const loadSeconds = (performance.now() - loadStarted) / 1000

// ---- afterwards: the queue drains, the database is consistent ----

const db = new pg.Pool({ connectionString: databaseUrl, max: 2 })
const rows = async (text: string) => (await db.query(text)).rows
const drainStarted = performance.now()
for (let idle = 0; idle < 2;) {
  if (performance.now() - drainStarted > 60_000) throw new Error("the queue did not drain within a minute")
  const [{ n }] = await rows(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('pending', 'running') AND run_at <= now()`)
  idle = n === 0 ? idle + 1 : 0
  await new Promise((resolve) => setTimeout(resolve, 200))
}
const drainSeconds = (performance.now() - drainStarted) / 1000
const checks: Array<[string, string]> = [
  ["no overlapping bookings", `SELECT a.id FROM bookings a JOIN bookings b ON a.provider_id = b.provider_id AND a.id < b.id
     WHERE a.status IN ('pending', 'accepted', 'completed') AND b.status IN ('pending', 'accepted', 'completed') AND a.period && b.period`],
  ["stock never negative and exactly what was not sold", `SELECT i.id FROM items i WHERE i.inventory_quantity < 0 OR i.inventory_quantity <> ${STOCK} - COALESCE((
     SELECT sum(oi.quantity) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE oi.item_id = i.id AND o.status <> 'canceled'), 0)`],
  ["payments match what they pay for", `SELECT p.id FROM payments p LEFT JOIN bookings b ON b.id = p.booking_id LEFT JOIN orders o ON o.id = p.order_id
     WHERE p.status <> 'failed' AND p.amount <> COALESCE(b.total_amount, o.total_amount)`],
  ["one payment per booking or order", `SELECT coalesce(booking_id, order_id) FROM payments WHERE status <> 'failed' GROUP BY 1 HAVING count(*) > 1`],
  ["no job dead", `SELECT id FROM jobs WHERE status = 'dead'`],
  ["every job ran once", `SELECT id FROM completed_jobs WHERE attempts <> 1`],
  ["each notification delivered once per channel", `SELECT notification_id FROM notification_deliveries WHERE status = 'sent' GROUP BY notification_id, channel HAVING count(*) > 1`]
]
const results = await Promise.all(checks.map(async ([what, query]) => [what, (await rows(query)).length] as const))
const [totals] = await rows(`SELECT (SELECT count(*)::int FROM bookings) AS bookings, (SELECT count(*)::int FROM orders) AS orders,
  (SELECT count(*)::int FROM payments) AS payments, (SELECT count(*)::int FROM completed_jobs) AS jobs,
  (SELECT count(*)::int FROM notification_deliveries WHERE status = 'sent') AS deliveries`)
await db.end()
await Promise.all(processes.map((child) => new Promise((resolve) => {
  child.once("exit", resolve)
  child.kill("SIGTERM")
})))
await Fs.rm(dataDir, { recursive: true, force: true })

// ---- report ----

const percentile = (xs: ReadonlyArray<number>, p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0
const loadOperations = ["search", "service", "book", "pay", "message", "order", "pending bookings", "accept"]
const requests = loadOperations.reduce((sum, op) => sum + (stats.get(op)?.latencies.length ?? 0), 0)
const table = loadOperations.filter((op) => stats.has(op)).map((op) => {
  const s = stats.get(op)!
  const statuses = [...s.statuses].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}: ${fmt(n)}`).join(", ")
  return `| ${op} | ${fmt(s.latencies.length)} | ${fmt(median(s.latencies), 1)} | ${fmt(percentile(s.latencies, 0.99), 1)} | ${statuses} |`
})
const report = `# Scale-out load run

\`npm run bench:scale\` (\`bench/scale/run.ts\`) on ${Os.cpus().length} cores (${Os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}:
two API processes and two worker processes (separate OS processes, as \`docs/deployment.md\` describes) on one Postgres
and one Redis, all on this machine with the load generator. ${PROVIDERS} providers and ${CLIENTS} clients registered through the
APIs; then for ${DURATION_S} s every client in a loop searched, read a service, booked a random half-hour of a random
provider (conflicts are expected 409s), paid and sent a message when it got the booking, and every eighth round ordered
a scarf (stock ${STOCK} each; sold out → expected 409), while every provider accepted its pending bookings. Requests
alternate between the two API processes.

**${fmt(requests / loadSeconds)} requests/s** over ${fmt(loadSeconds, 1)} s (${fmt(requests)} requests), **${unexpected.length} unexpected answers**
(5xx, connection errors, or a 4xx other than the expected conflicts)${unexpected.length > 0 ? `; the first: \`${unexpected[0]}\`` : ""}.

| operation | requests | p50 ms | p99 ms | statuses |
|---|---:|---:|---:|---|
${table.join("\n")}

Afterwards: ${fmt(totals.bookings)} bookings, ${fmt(totals.orders)} orders, ${fmt(totals.payments)} payments; the queue drained in
${fmt(drainSeconds, 1)} s after the load stopped, having run ${fmt(totals.jobs)} jobs (emails, notifications, reminders, payment
events) with ${fmt(totals.deliveries)} notification deliveries.

| check on the database | violations |
|---|---:|
${results.map(([what, n]) => `| ${what} | ${n} |`).join("\n")}
`

await writeReport("scale.md", report)
process.exit(results.some(([, n]) => n > 0) || unexpected.length > 0 ? 1 : 0)

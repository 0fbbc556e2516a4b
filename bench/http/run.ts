// @effect-diagnostics processEnv:off
/**
 * `npm run bench:http`: the service's main reads and login on the seeded
 * dataset (`npm run seed`, scale 1) against Postgres, side by side in one run
 * with the stack's own ceilings (`reference.ts`): a bare HttpApi answering a
 * constant JSON of the same size, and one doing a single `SELECT` by primary
 * key. autocannon, 50 connections, a warm-up, then rounds that interleave the
 * targets; medians of the rounds. Then the writes: bookings on windows
 * nobody holds, orders, and every booking on one window (the 409 path), with
 * the pool's mean wait from `GET /ops/stats`. Login runs on its own instance under
 * `--cpu-prof`, next to the password hash's own throughput here, to show what
 * bounds it. Writes `docs/benchmarks/http.md`; `BENCH_QUICK=1` for a short run
 * (then nothing is written).
 */
import { hash, verify } from "@node-rs/argon2"
import type { ChildProcess } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import pg from "pg"
import { SEED_EMAIL_DOMAIN, SEED_PASSWORD } from "../../src/seed/Seed.ts"
import { searchPlans } from "./plans.ts"
import { hashOptions } from "../../src/users/Passwords.ts"
import {
  CONNECTIONS,
  DURATION_S,
  fmt,
  load as loadOn,
  log,
  type Measured,
  root,
  ROUNDS,
  seededDatabase,
  start,
  stop,
  stopAll,
  summarize,
  type Target,
  waitFor,
  WARMUP_S,
  writeReport
} from "../support.ts"

const databaseName = "mh_bench_http"
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/14"
const PORTS = { ours: 4310, constant: 4311, select: 4312, login: 4313 }


// ---- dataset ----

const seeded = await seededDatabase(databaseName)
log(seeded.output)
const db = new pg.Pool({ connectionString: seeded.url, max: 2 })
const serviceIds = (await db.query<{ id: string }>(
  "SELECT id FROM services WHERE deleted_at IS NULL ORDER BY md5(id::text) LIMIT 2000"
)).rows.map((r) => r.id)
const emails = (await db.query<{ email: string }>(
  `SELECT email FROM users WHERE email LIKE $1 ORDER BY md5(id::text) LIMIT 500`,
  [`%@${SEED_EMAIL_DOMAIN}`]
)).rows.map((r) => r.email)
const version = (await db.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version
// Booking windows nobody else holds: 30-minute steps inside approved providers' slots, from 3 h after each slot's
// start (the seeded bookings sit at the start), of services not done at the client's place (no province rule).
const windows = (await db.query<{ service_id: string; start_at: Date }>(`
  SELECT s.id AS service_id, w AS start_at
  FROM availability_slots a
  JOIN users p ON p.id = a.provider_id AND p.verification_status = 'approved' AND p.status = 'active'
  JOIN LATERAL (SELECT id FROM services s WHERE s.provider_id = a.provider_id AND s.status = 'active' AND s.deleted_at IS NULL
                  AND s.type NOT IN ('house_sitting', 'lawn_maintenance', 'house_cleaning') ORDER BY id LIMIT 1) s ON true,
  generate_series(lower(a.period) + interval '3 hours', upper(a.period) - interval '30 minutes', interval '30 minutes') AS w
  WHERE lower(a.period) > now() + interval '3 hours'
  ORDER BY md5(s.id::text || w::text)`)).rows.map((r) => ({ serviceId: r.service_id, start: r.start_at.toISOString(), end: new Date(r.start_at.getTime() + 1_800_000).toISOString() }))
const stocked = (await db.query<{ id: string }>("SELECT id FROM items WHERE deleted_at IS NULL AND inventory_quantity >= 10 ORDER BY md5(id::text)")).rows.map((r) => r.id)
const clientEmails = emails.filter((email) => email.startsWith("client.")).slice(0, 50)
await db.end()

// ---- processes ----


const dataDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-bench-http-"))
const serviceEnv = (port: number) => ({
  DATABASE_URL: seeded.url,
  REDIS_URL: redisUrl,
  PORT: String(port),
  DATA_DIR: dataDir,
  RATE_LIMITS_ENABLED: "false",
  // The database path: `npm run bench:cache` measures the cached one.
  CACHE_ENABLED: "false",
  WORKERS_ENABLED: "false",
  JWT_SECRET: "bench-secret-for-signing-access-tokens-0123456789",
  ADMIN_EMAIL: "bench-admin@example.com",
  ADMIN_PASSWORD: "Bench-admin-pass-1!",
  LOG_LEVEL: "Warning"
})

log("starting the service and the reference servers")
const servers = new Map<number, ChildProcess>()
const load = (target: Target, seconds: number) => loadOn(target, seconds, CONNECTIONS, servers.get(target.port)?.pid)
servers.set(PORTS.ours, start(["src/main.ts"], serviceEnv(PORTS.ours)))
await waitFor(`http://127.0.0.1:${PORTS.ours}/health/ready`)
const sample = await fetch(`http://127.0.0.1:${PORTS.ours}/services/${serviceIds[0]}`).then((r) => r.text())
const bodyFile = Path.join(dataDir, "service.json")
await Fs.writeFile(bodyFile, sample)
servers.set(PORTS.constant, start(["bench/http/reference.ts", "constant"], { PORT: String(PORTS.constant), BENCH_BODY_FILE: bodyFile }))
servers.set(PORTS.select, start(["bench/http/reference.ts", "select"], { PORT: String(PORTS.select), DATABASE_URL: seeded.url }))
await waitFor(`http://127.0.0.1:${PORTS.constant}/services/${serviceIds[0]}`)
await waitFor(`http://127.0.0.1:${PORTS.select}/services/${serviceIds[0]}`)

// ---- load ----

const searchQueries = [
  "dog walking", "house cleaning", "garden weeding", "overnight dog care", "snow", "groceries pharmacy",
  "deep cleaning", "hedge trimming", "house sitting plants", "puppy", "eco-friendly", "seniors"
]

const byId = (name: string, port: number): Target => ({ name, port, next: (i) => ({ path: `/services/${serviceIds[i % serviceIds.length]}` }) })
const targets = {
  constant: byId("reference: constant JSON", PORTS.constant),
  select: byId("reference: one SELECT by key", PORTS.select),
  service: byId("GET /services/{id}", PORTS.ours),
  search: {
    name: "GET /search/services?q=…",
    port: PORTS.ours,
    next: (i) => ({ path: `/search/services?q=${encodeURIComponent(searchQueries[i % searchQueries.length]!)}` })
  } satisfies Target,
  login: {
    name: "POST /auth/login",
    port: PORTS.login,
    method: "POST",
    next: (i) => ({ path: "/auth/login", body: `{"email":"${emails[i % emails.length]}","password":"${SEED_PASSWORD}"}` })
  } satisfies Target
}




/** Every target by key, reads and writes. */
const registry = new Map<string, Target>(Object.entries(targets))

const measure = async (keys: ReadonlyArray<string>) => {
  const runs = new Map<string, Array<Measured>>(keys.map((key) => [key, []]))
  for (const key of keys) {
    log(`warm-up ${registry.get(key)!.name}`)
    await load(registry.get(key)!, WARMUP_S)
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const key of keys) {
      const target = registry.get(key)!
      const measured = await load(target, DURATION_S)
      log(`round ${round} ${target.name}: ${fmt(measured.rps)} req/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms`)
      runs.get(key)!.push(measured)
    }
  }
  return new Map([...runs].map(([key, results]) => [key, summarize(results)]))
}

const reads = await measure(["constant", "select", "service", "search"])

// ---- writes: bookings and orders on their own windows and items, then one window for everyone ----

log("signing in 50 clients")
const tokens: Array<string> = []
for (const email of clientEmails) {
  const response = await fetch(`http://127.0.0.1:${PORTS.ours}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: `{"email":"${email}","password":"${SEED_PASSWORD}"}`
  })
  tokens.push(((await response.json()) as { access_token: string }).access_token)
}
const bearer = (i: number) => ({ authorization: `Bearer ${tokens[i % tokens.length]}` })
const adminToken = await fetch(`http://127.0.0.1:${PORTS.ours}/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: `{"email":"bench-admin@example.com","password":"Bench-admin-pass-1!"}`
}).then(async (response) => ((await response.json()) as { access_token: string }).access_token)
/** The pool's checkout counters (`GET /ops/stats`). */
const poolCounters = () =>
  fetch(`http://127.0.0.1:${PORTS.ours}/ops/stats`, { headers: { authorization: `Bearer ${adminToken}` } })
    .then(async (response) => ((await response.json()) as { pool: { acquired: number; wait_ms_total: number; wait_ms_max: number } }).pool)
/** Mean wait for a pool connection, in ms, over `run`. */
const withPoolWait = async <A>(run: () => Promise<A>) => {
  const before = await poolCounters()
  const result = await run()
  const after = await poolCounters()
  return { result, waitMs: (after.wait_ms_total - before.wait_ms_total) / Math.max(1, after.acquired - before.acquired) }
}
let nextWindow = 0
let nextItem = 0
const contended = windows.at(-1)!
const writeTargets = {
  bookings: {
    name: "POST /bookings",
    port: PORTS.ours,
    method: "POST",
    next: (i) => {
      const window = windows[nextWindow++ % windows.length]!
      return { path: "/bookings", headers: bearer(i), body: `{"service_id":"${window.serviceId}","start_at":"${window.start}","end_at":"${window.end}"}` }
    }
  },
  orders: {
    name: "POST /orders",
    port: PORTS.ours,
    method: "POST",
    next: (i) => ({
      path: "/orders",
      headers: bearer(i),
      body: `{"items":[{"item_id":"${stocked[nextItem++ % stocked.length]}","quantity":1}],` +
        `"shipping_address":{"line1":"1 Main St","city":"Ottawa","province_code":"ON","postal_code":"K1A 0B1"}}`
    })
  },
  contention: {
    name: "POST /bookings, all on one window (409s)",
    port: PORTS.ours,
    method: "POST",
    next: (i) => ({
      path: "/bookings",
      headers: bearer(i),
      body: `{"service_id":"${contended.serviceId}","start_at":"${contended.start}","end_at":"${contended.end}"}`
    })
  }
} satisfies Record<string, Target>
for (const [key, target] of Object.entries(writeTargets)) registry.set(key, target)
const { result: writes, waitMs: writeWaitMs } = await withPoolWait(() => measure(["bookings", "orders"]))
const { result: contentionRuns, waitMs: contentionWaitMs } = await withPoolWait(() => measure(["contention"]))
const contention = contentionRuns.get("contention")!
await stopAll()

// ---- login: the hash alone, then the route under a CPU profile ----

log("password hash throughput alone")
const stored = await hash(SEED_PASSWORD, hashOptions)
const hashRps = await (async () => {
  const until = Date.now() + DURATION_S * 1000
  let done = 0
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < until) {
      await verify(stored, SEED_PASSWORD)
      done++
    }
  }))
  return done / DURATION_S
})()
log(`argon2id verify: ${fmt(hashRps, 1)}/s`)

/** CPU seconds so far of each thread of `pid`, by thread name (Linux `/proc`). */
const threadCpu = async (pid: number) => {
  const byName = new Map<string, number>()
  for (const tid of await Fs.readdir(`/proc/${pid}/task`)) {
    const stat = await Fs.readFile(`/proc/${pid}/task/${tid}/stat`, "utf8").catch(() => "")
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100
    const group = name.startsWith("libuv-worker") ? "libuv workers (argon2id)" : name === "MainThread" || name === "node" ? "main thread (HTTP, Effect, SQL, JWT)" : "V8 and other threads (GC, compiler)"
    byName.set(group, (byName.get(group) ?? 0) + seconds)
  }
  return byName
}

const profileDir = Path.join(dataDir, "profile")
const loginService = start(["--cpu-prof", "--cpu-prof-dir", profileDir, "src/main.ts"], serviceEnv(PORTS.login))
servers.set(PORTS.login, loginService)
await waitFor(`http://127.0.0.1:${PORTS.login}/health/ready`)
const cpuBefore = await threadCpu(loginService.pid!)
const loginStarted = Date.now()
const login = (await measure(["login"])).get("login")!
const loginSeconds = (Date.now() - loginStarted) / 1000
const cpuAfter = await threadCpu(loginService.pid!)
const threads = [...cpuAfter].map(([group, seconds]) => [group, seconds - (cpuBefore.get(group) ?? 0)] as const)
  .sort((a, b) => b[1] - a[1])
await stop(loginService)

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string }
}
const [profileFile] = await Fs.readdir(profileDir)
const profile = JSON.parse(await Fs.readFile(Path.join(profileDir, profileFile!), "utf8")) as {
  nodes: Array<ProfileNode>
  samples: Array<number>
  timeDeltas: Array<number>
}
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const selfTime = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)!.callFrame
  const where = frame.url === "" ? frame.functionName : `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*node_modules\//, "").replace(`file://${root}/`, "")}`
  const delta = profile.timeDeltas[i] ?? 0
  selfTime.set(where, (selfTime.get(where) ?? 0) + delta)
  total += delta
})
const idle = selfTime.get("(idle)") ?? 0
const top = [...selfTime].filter(([where, time]) => where !== "(idle)" && time >= total / 200).sort((a, b) => b[1] - a[1]).slice(0, 8)

// ---- report ----

log("query plans")
const plans = await searchPlans(seeded.url)

await Fs.rm(dataDir, { recursive: true, force: true })
const r = (key: string) => reads.get(key)!
const line = (name: string, m: Measured, vs: string) =>
  `| ${name} | ${fmt(m.rps)} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(m.cpuUs)} | ${vs} | ${m.failures} |`
const ratio = (a: number, b: number) => `${fmt((a / b) * 100)} %`

const report = `# HTTP benchmark

\`npm run bench:http\` (\`bench/http/run.ts\`) on ${Os.cpus().length} cores (${Os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version},
PostgreSQL ${version}, the seeded dataset at scale 1 (\`npm run seed\`: 22,000 users, 10,000 services, 20,000 items).
autocannon in the coordinating process, ${CONNECTIONS} connections, ${WARMUP_S} s of warm-up per target, then ${ROUNDS} rounds of
${DURATION_S} s that interleave the targets; each figure is the median of the rounds. The service runs as \`npm run api\`
would (no workers, rate limits off, access log off), with no cache in front of Postgres: every read is a query.
Machine noise between runs is about ±15 %; compare ratios within one run.

| target | req/s | p50 ms | p99 ms | server CPU µs/req | vs | non-2xx + errors |
|---|---:|---:|---:|---:|---|---:|
${line(targets.constant.name, r("constant"), "ceiling: the stack, no I/O")}
${line(targets.select.name, r("select"), "ceiling: the stack + one query")}
${line(targets.service.name, r("service"), `${ratio(r("service").rps, r("select").rps)} of one SELECT`)}
${line(targets.search.name, r("search"), `p99 ${r("search").p99 < 50 ? "under" : "over"} 50 ms`)}
${line(targets.login.name, login, `${ratio(login.rps, hashRps)} of the hash alone`)}

- \`GET /services/{id}\` is the service with its provider's public view and rating (one statement with a join), through
  the whole stack: edge middleware (request id, security headers, traceparent), schema decoding and encoding.
  Target ≥ 70 % of the one-SELECT ceiling: **${r("service").rps >= 0.7 * r("select").rps ? "met" : "not met"}**. The service spends
  ${fmt(r("service").cpuUs)} µs of CPU per request where the ceiling spends ${fmt(r("select").cpuUs)} (and ${fmt(r("constant").cpuUs)} without the
  query): with server, Postgres and autocannon sharing the cores, that cost is what the throughput follows.
- \`GET /search/services?q=…\` rotates ${searchQueries.length} queries (full text, ranked, first page of 20).
  Target p99 < 50 ms at ${CONNECTIONS} connections: **${r("search").p99 < 50 ? "met" : "not met"}**.
- \`POST /auth/login\` rotates ${emails.length} seeded accounts. argon2id (64 MiB, 3 passes) verifies ${fmt(hashRps, 1)}
  passwords/s on this machine with nothing else running (${CONNECTIONS} at a time, in this process, all cores); login
  reaches ${ratio(login.rps, hashRps)} of that while the same cores also serve HTTP, run Postgres and autocannon.

## Writes (the transactional core)

Each client is one of 50 seeded clients, signed in before the runs. Bookings take 30-minute windows inside approved
providers' slots that nobody else holds (${fmt(windows.length)} of them, so conflicts are rare); orders take one unit of an item
with stock. The contention run sends every booking for the same window: one wins, the rest must be fast 409s.

| target | req/s | p50 ms | p99 ms | server CPU µs/req | 4xx | errors and other non-2xx |
|---|---:|---:|---:|---:|---:|---:|
${[["bookings", writes.get("bookings")!], ["orders", writes.get("orders")!], ["contention", contention]].map(([key, m]) => {
  const w = m as Measured
  return `| ${registry.get(key as string)!.name} | ${fmt(w.rps)} | ${fmt(w.p50)} | ${fmt(w.p99)} | ${fmt(w.cpuUs)} | ${fmt(w.conflicts)} | ${fmt(w.failures - w.conflicts)} |`
}).join("\n")}

Mean wait for a pool connection (${"`"}GET /ops/stats${"`"} before and after, pool of 20): ${fmt(writeWaitMs, 2)} ms per checkout over the
bookings and orders runs, ${fmt(contentionWaitMs, 2)} ms over the contention run.

Target: no errors other than the expected 409s, and p99 under 100 ms at ${CONNECTIONS} connections:
bookings **${writes.get("bookings")!.p99 < 100 ? "met" : "not met"}**, orders **${writes.get("orders")!.p99 < 100 ? "met" : "not met"}**,
contention **${contention.p99 < 100 ? "met" : "not met"}**.

## What bounds login

CPU seconds of the service's threads over the login rounds and their warm-up (${fmt(loginSeconds)} s of wall time
on ${Os.cpus().length} cores), read from \`/proc\`:

| CPU s | share | threads |
|---:|---:|---|
${threads.map(([group, seconds]) => `| ${fmt(seconds, 1)} | ${ratio(seconds, threads.reduce((sum, [, s]) => sum + s, 0))} | ${group} |`).join("\n")}

The hash takes the cores; everything else a login does is the small remainder. The main thread's own JavaScript
profile (\`node --cpu-prof\`) over the same rounds: idle ${ratio(idle, total)} of the time; its busiest functions:

| self time | where |
|---:|---|
${top.map(([where, time]) => `| ${ratio(time, total)} | \`${where.replaceAll("|", "\\|")}\` |`).join("\n")}

## Query plans of the searches

\`EXPLAIN (ANALYZE, BUFFERS)\` of the statements the repositories send (\`bench/http/plans.ts\`), on the same data,
after the load. Every search starts from an index: the GIN index on the weighted \`tsvector\` for text, the GiST
indexes of the exclusion constraints for time windows, btree indexes for sorts and prefixes.

${Object.entries(plans).map(([name, plan]) => `### ${name}\n\n\`\`\`\n${plan}\n\`\`\``).join("\n\n")}
`

await writeReport("http.md", report)
process.exit(0)

// @effect-diagnostics processEnv:off
/**
 * `npm run bench:cache`: `GET /services/{id}` on the seeded dataset (`npm run
 * seed`, scale 1: 10,000 services) with the cache off, with every request a
 * Redis hit, and with Redis down, beside the stack's constant-JSON ceiling
 * (`bench/http/reference.ts`), in interleaved rounds of one run; then the
 * database statements per 1,000 requests under a Zipf(0.99) mix over all
 * 10,000 services, cache on against off, counted by Postgres. Writes `docs/benchmarks/cache.md`; `BENCH_QUICK=1` for a
 * short run (then nothing is written).
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import pg from "pg"
import { spawnRedis } from "../../test/utils/LocalServers.ts"
import { freePort } from "../../test/utils/ServiceProcess.ts"
import {
  CONNECTIONS,
  DURATION_S,
  fmt,
  load,
  log,
  type Measured,
  quick,
  ROUNDS,
  seededDatabase,
  start,
  stopAll,
  summarize,
  type Target,
  waitFor,
  WARMUP_S,
  writeReport
} from "../support.ts"

const ZIPF_REQUESTS = quick ? 5_000 : 30_000
const databaseName = "mh_bench_cache"
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/13"
const PORTS = { off: 4320, hit: 4321, down: 4322, constant: 4323, memory: 4324, l1: 4325 }

// ---- dataset ----

const seeded = await seededDatabase(databaseName)
const db = new pg.Pool({ connectionString: seeded.url, max: 1 })
const allIds = (await db.query<{ id: string }>("SELECT id FROM services WHERE deleted_at IS NULL ORDER BY md5(id::text)")).rows.map((r) => r.id)
const version = (await db.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version
await db.end()
/** The throughput runs cycle over 2,000 services, all cached after the warm-up. */
const hotIds = allIds.slice(0, 2_000)

// ---- processes ----

// A Redis that is down: a port with a server that was started and killed, so nothing answers there.
const deadPort = await freePort()
const dead = spawnRedis(deadPort)
await new Promise((resolve) => setTimeout(resolve, 200))
dead.kill("SIGKILL")

const dataDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-bench-cache-"))
const serviceEnv = (port: number, cache: Record<string, string>) => ({
  DATABASE_URL: seeded.url,
  PORT: String(port),
  DATA_DIR: dataDir,
  RATE_LIMITS_ENABLED: "false",
  WORKERS_ENABLED: "false",
  JWT_SECRET: "bench-secret-for-signing-access-tokens-0123456789",
  LOG_LEVEL: "Error",
  REDIS_KEY_PREFIX: `bench-${Date.now()}`,
  ...cache
})
const servers = new Map([
  [PORTS.off, start(["src/main.ts"], serviceEnv(PORTS.off, { REDIS_URL: redisUrl, CACHE_ENABLED: "false" }))],
  [PORTS.hit, start(["src/main.ts"], serviceEnv(PORTS.hit, { REDIS_URL: redisUrl, ADMIN_EMAIL: "bench-admin@example.com", ADMIN_PASSWORD: "Bench-admin-pass-1!" }))],
  [PORTS.down, start(["src/main.ts"], serviceEnv(PORTS.down, { REDIS_URL: `redis://127.0.0.1:${deadPort}/0` }))],
  // No REDIS_URL: entries in the process's memory, what an in-process L1 in front of Redis would serve at best.
  [PORTS.memory, start(["src/main.ts"], serviceEnv(PORTS.memory, {}))],
  [PORTS.l1, start(["src/main.ts"], serviceEnv(PORTS.l1, { REDIS_URL: redisUrl, CACHE_L1_ENABLED: "true", CACHE_L1_TTL_MS: "60000" }))]
])
await Promise.all([PORTS.off, PORTS.hit, PORTS.down, PORTS.memory, PORTS.l1].map((port) => waitFor(`http://127.0.0.1:${port}/health/live`)))
const sample = await fetch(`http://127.0.0.1:${PORTS.off}/services/${hotIds[0]}`).then((r) => r.text())
const bodyFile = Path.join(dataDir, "service.json")
await Fs.writeFile(bodyFile, sample)
servers.set(PORTS.constant, start(["bench/http/reference.ts", "constant"], { PORT: String(PORTS.constant), BENCH_BODY_FILE: bodyFile }))
await waitFor(`http://127.0.0.1:${PORTS.constant}/services/${hotIds[0]}`)

// ---- throughput and latency ----

const byId = (name: string, port: number): Target => ({ name, port, next: (i) => ({ path: `/services/${hotIds[i % hotIds.length]}` }) })
const targets = {
  constant: byId("reference: constant JSON", PORTS.constant),
  off: byId("cache off (every request reads Postgres)", PORTS.off),
  hit: byId("cache on, every request a Redis hit", PORTS.hit),
  down: byId("cache on, Redis down", PORTS.down),
  memory: byId("cache in process memory, every request a hit", PORTS.memory),
  l1: byId("cache on with the L1, every request an L1 hit", PORTS.l1)
}
type Key = keyof typeof targets
const order: ReadonlyArray<Key> = ["constant", "off", "hit", "l1", "memory", "down"]

log("filling the cache with the 2,000 services of the runs")
for (const port of [PORTS.hit, PORTS.memory, PORTS.l1]) {
  for (const id of hotIds) await fetch(`http://127.0.0.1:${port}/services/${id}`).then((r) => r.arrayBuffer())
}

const runs = new Map<Key, Array<Measured>>(order.map((key) => [key, []]))
for (const key of order) {
  log(`warm-up ${targets[key].name}`)
  await load(targets[key], WARMUP_S, CONNECTIONS, servers.get(targets[key].port)?.pid)
}
for (let round = 1; round <= ROUNDS; round++) {
  for (const key of order) {
    const measured = await load(targets[key], DURATION_S, CONNECTIONS, servers.get(targets[key].port)?.pid)
    log(`round ${round} ${targets[key].name}: ${fmt(measured.rps)} req/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms, ${measured.failures} failures`)
    runs.get(key)!.push(measured)
  }
}
const result = (key: Key) => summarize(runs.get(key)!)

// ---- statements under a Zipf(0.99) mix ----

/** Ranks drawn with P(k) ∝ 1 / k^0.99 over all services; rank k is the k-th service of a fixed shuffle. */
const zipf = (() => {
  const weights = allIds.map((_, k) => 1 / Math.pow(k + 1, 0.99))
  const total = weights.reduce((a, b) => a + b, 0)
  const cumulative: Array<number> = []
  let sum = 0
  for (const w of weights) cumulative.push(sum += w / total)
  let seed = 42
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  return () => {
    const u = random()
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! < u) lo = mid + 1
      else hi = mid
    }
    return allIds[lo]!
  }
})()
const mix = Array.from({ length: ZIPF_REQUESTS }, zipf)

/**
 * Sends the mix over 50 connections; the statements Postgres ran meanwhile, from its transaction counter (each
 * statement of a read is a transaction of its own). Not \`X-Db-Statements\`: one batched statement serves every
 * request of its tick and counts for one of them only.
 */
const statementsOf = async (port: number, requests: ReadonlyArray<string> = mix) => {
  const committed = async () => {
    // A backend that goes idle reports what it counted within 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL).
    await new Promise((resolve) => setTimeout(resolve, 11_000))
    const stats = new pg.Pool({ connectionString: seeded.url, max: 1 })
    const row = (await stats.query<{ n: string }>("SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()")).rows[0]!
    await stats.end()
    return Number(row.n)
  }
  const before = await committed()
  let next = 0
  let failures = 0
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < requests.length) {
      const response = await fetch(`http://127.0.0.1:${port}/services/${requests[next++]!}`)
      await response.arrayBuffer()
      if (response.status !== 200) failures++
    }
  }))
  // The counter read's own transaction is the one extra.
  return { statements: (await committed()) - before - 1, failures }
}
log(`Zipf(0.99) mix of ${fmt(ZIPF_REQUESTS)} requests over ${fmt(allIds.length)} services`)
// The mix starts on a cache holding only the throughput runs' services, as a deploy's first minutes would.
// What the database commits meanwhile without any request (the baseline subtracted below).
const idle = await statementsOf(PORTS.off, [])
const zipfOff = await statementsOf(PORTS.off)
const zipfColdOn = await statementsOf(PORTS.hit)
const zipfWarmOn = await statementsOf(PORTS.hit)
const distinct = new Set(mix).size
// The Redis-backed instance's own account of the whole run (`GET /ops/stats`).
const adminToken = await fetch(`http://127.0.0.1:${PORTS.hit}/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: `{"email":"bench-admin@example.com","password":"Bench-admin-pass-1!"}`
}).then(async (response) => ((await response.json()) as { access_token: string }).access_token)
const cacheStats = await fetch(`http://127.0.0.1:${PORTS.hit}/ops/stats`, { headers: { authorization: `Bearer ${adminToken}` } })
  .then(async (response) =>
    ((await response.json()) as {
      cache: { hits: number; misses: number; hit_ratio: number; errors: number; entities: Record<string, { lookups: number; fills: number; lease_waits: number }> }
    }).cache)
await stopAll()
await Fs.rm(dataDir, { recursive: true, force: true })

// ---- report ----

const constant = result("constant")
const off = result("off")
const hit = result("hit")
const down = result("down")
const memory = result("memory")
const l1 = result("l1")
const per1000 = (s: number) => fmt((s / ZIPF_REQUESTS) * 1000, 1)
const row = (name: string, r: ReturnType<typeof result>) =>
  `| ${name} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuUs)} | ${r.failures} |`

const report = `# Cache (\`npm run bench:cache\`)

Run on ${new Date().toISOString().slice(0, 10)}: ${Os.cpus().length} × ${Os.cpus()[0]?.model.trim()}, Node ${process.version},
PostgreSQL ${version} and Redis on the same machine, seeded dataset at scale 1 (${fmt(allIds.length)} services).
autocannon in the coordinating process, ${CONNECTIONS} connections, ${WARMUP_S} s of warm-up per target, then ${ROUNDS}
interleaved rounds of ${DURATION_S} s; medians of the rounds. Every server is a separate process on the same two cores.

## \`GET /services/{id}\` over 2,000 services

| target | req/s | p50 ms | p99 ms | server CPU µs/request | failed requests |
|---|---:|---:|---:|---:|---:|
${row("reference: constant JSON (bare HttpApi)", constant)}
${row("cache off: Postgres on every request", off)}
${row("cache on: every request a Redis hit", hit)}
${row("cache on with the L1 (\`CACHE_L1_ENABLED\`, \`CACHE_L1_TTL_MS=60000\` so the hot set stays in it): every request an L1 hit", l1)}
${row("cache in process memory (no Redis): every request a hit", memory)}
${row("cache on, Redis down", down)}

- Cache hit ÷ cache off: **${fmt(hit.rps / off.rps, 2)}×** throughput (target ≥ 2×).
- Cache hit ÷ the constant-JSON ceiling: **${fmt((100 * hit.rps) / constant.rps)} %** (target ≥ 75 %).
- The L1 ÷ the Redis hit: **${fmt(l1.rps / hit.rps, 2)}×** throughput, ${fmt(l1.cpuUs)} against ${fmt(hit.cpuUs)} µs of server CPU per request. The L1
  stays off by default whatever this ratio: it trades the strict read-after-write guarantee across instances for the
  delay of a pub/sub message, which only a measured need should buy.
- Redis down: ${down.failures} failed requests; p99 ${fmt(down.p99)} ms against ${fmt(off.p99)} ms with the cache off
  (target: no errors, within 5 ms).

## Database statements under a Zipf(0.99) mix

${fmt(ZIPF_REQUESTS)} requests over all ${fmt(allIds.length)} services (${fmt(distinct)} distinct), ${CONNECTIONS} at a time;
statements counted by Postgres (\`pg_stat_database.xact_commit\`: each read's statement is its own transaction). With
the cache off, lookups of concurrent requests share one batched statement, so there are fewer statements than requests.

| run | statements | per 1,000 requests | failed |
|---|---:|---:|---:|
| no requests (baseline, the same wait) | ${fmt(idle.statements)} | | |
| cache off | ${fmt(zipfOff.statements)} | ${per1000(zipfOff.statements)} | ${zipfOff.failures} |
| cache on, from cold | ${fmt(zipfColdOn.statements)} | ${per1000(zipfColdOn.statements)} | ${zipfColdOn.failures} |
| cache on, steady state (the same mix again) | ${fmt(zipfWarmOn.statements)} | ${per1000(zipfWarmOn.statements)} | ${zipfWarmOn.failures} |

The Redis-backed instance over the whole run (\`GET /ops/stats\`): ${fmt(cacheStats.hits)} hits, ${fmt(cacheStats.misses)} misses
(hit ratio ${fmt(cacheStats.hit_ratio, 3)}), ${fmt(cacheStats.errors)} errors (Redis commands over \`CACHE_TIMEOUT_MS\` or refused while the
breaker was open: each such read went to the database), ${fmt(cacheStats.entities.service?.lookups ?? 0)} lookups and
${fmt(cacheStats.entities.service?.fills ?? 0)} fills of services.

From cold the cache already saves **${fmt(100 * (1 - zipfColdOn.statements / zipfOff.statements))} %** of the statements;
at steady state **${fmt(100 * (1 - zipfWarmOn.statements / zipfOff.statements), 1)} %** (target ≥ 90 %).
`

await writeReport("cache.md", report)

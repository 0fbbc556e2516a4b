// @effect-diagnostics processEnv:off
/**
 * The tracing run of `npm run bench:http` (`npm run bench:tracing` alone):
 * `GET /services/{id}` (a Redis cache hit) and the user overview, each on five
 * service processes — tracing off; 100 % sampling exported in batches to an
 * OTLP/HTTP receiver in this process; 10 % parent-based sampling to it;
 * the OTLP tracer with every span dropped (`always_off`), which separates the
 * cost of making spans from the cost of exporting them; and 100 % with the
 * function spans exported too (`TRACE_FUNCTION_SPANS=true`) — in interleaved
 * rounds of one run. Then the series count of a `/metrics` scrape, and the
 * cost of one span tree in this process alone (native tracer, OTLP dropped,
 * OTLP exported as JSON and as protobuf). Writes
 * `docs/benchmarks/tracing.md`; `BENCH_QUICK=1` for a short run (then nothing
 * is written).
 */
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Layer, Tracer } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"
import pg from "pg"
import { sampling } from "../../src/infra/Telemetry.ts"
import {
  CONNECTIONS,
  DURATION_S,
  fmt,
  load,
  log,
  type Measured,
  median,
  quick,
  ROUNDS,
  seededDatabase,
  start,
  summarize,
  waitFor,
  WARMUP_S,
  writeReport
} from "../support.ts"

const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/12"

// ---- the receiver: a collector's stand-in that accepts and counts ----

let exports = 0
let exportedSpans = 0
let exportedBytes = 0
const receiver = Http.createServer((request, response) => {
  let body = ""
  request.setEncoding("utf8")
  request.on("data", (chunk: string) => body += chunk)
  request.on("end", () => {
    if (request.url === "/v1/traces") {
      exports++
      exportedBytes += body.length
      exportedSpans += body.split(`"spanId"`).length - 1
    }
    response.writeHead(200, { "content-type": "application/json" }).end("{}")
  })
})
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`

// ---- dataset and processes ----

const seeded = await seededDatabase("mh_bench_tracing")
const db = new pg.Pool({ connectionString: seeded.url, max: 1 })
const serviceIds = (await db.query<{ id: string }>(
  "SELECT id FROM services WHERE deleted_at IS NULL ORDER BY md5(id::text) LIMIT 2000"
)).rows.map((r) => r.id)
// The 200 clients with the longest histories: an overview with something in it.
const clients = (await db.query<{ id: string; n: number }>(
  `SELECT client_id AS id, count(*)::int AS n FROM bookings GROUP BY client_id ORDER BY count(*) DESC, client_id LIMIT 200`
)).rows
const overviewUsers = clients.map((c) => c.id)
const bookingsPerOverview = median(clients.map((c) => c.n))
const version = (await db.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version
await db.end()

const dataDir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-bench-tracing-"))
const modes = {
  off: { name: "tracing off", env: {} },
  full: { name: "100 % sampled, exported", env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl } },
  tenth: {
    name: "10 % parent-based, exported",
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" }
  },
  dropped: { name: "OTLP tracer, every span dropped", env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_TRACES_SAMPLER: "always_off" } },
  functions: {
    name: "100 %, function spans exported too",
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, TRACE_FUNCTION_SPANS: "true" }
  }
} as const
type Mode = keyof typeof modes
const ports: Record<Mode, number> = { off: 4340, full: 4341, tenth: 4342, dropped: 4343, functions: 4344 }
const servers = Object.fromEntries((Object.keys(modes) as Array<Mode>).map((mode) => [
  mode,
  start(["src/main.ts"], {
    DATABASE_URL: seeded.url,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `bench-tracing-${mode}-${Date.now()}`,
    PORT: String(ports[mode]),
    DATA_DIR: dataDir,
    RATE_LIMITS_ENABLED: "false",
    WORKERS_ENABLED: "false",
    JWT_SECRET: "bench-secret-for-signing-access-tokens-0123456789",
    ADMIN_EMAIL: "bench-admin@example.com",
    ADMIN_PASSWORD: "Bench-admin-pass-1!",
    LOG_LEVEL: "Error",
    OTEL_BSP_SCHEDULE_DELAY: "1000",
    OTEL_METRIC_EXPORT_INTERVAL: "10000",
    ...modes[mode].env
  })
])) as Record<Mode, ReturnType<typeof start>>
await Promise.all(Object.values(ports).map((port) => waitFor(`http://127.0.0.1:${port}/health/live`)))

const adminToken = await fetch(`http://127.0.0.1:${ports.off}/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: `{"email":"bench-admin@example.com","password":"Bench-admin-pass-1!"}`
}).then(async (response) => ((await response.json()) as { access_token: string }).access_token)
const bearer = { authorization: `Bearer ${adminToken}` }

log("filling the caches with the 2,000 services of the runs")
for (const port of Object.values(ports)) {
  for (const id of serviceIds) await fetch(`http://127.0.0.1:${port}/services/${id}`).then((r) => r.arrayBuffer())
}

// ---- runs ----

const routes = {
  service: { name: "GET /services/{id} (cache hit)", next: (i: number) => ({ path: `/services/${serviceIds[i % serviceIds.length]}` }) },
  overview: {
    name: `GET /users/{id}/overview (${bookingsPerOverview} bookings)`,
    next: (i: number) => ({ path: `/users/${overviewUsers[i % overviewUsers.length]}/overview`, headers: bearer })
  }
} as const
type Route = keyof typeof routes
const order: ReadonlyArray<Mode> = ["off", "full", "tenth", "dropped", "functions"]
const runs = new Map<string, Array<Measured & { spans: number }>>()
const target = (route: Route, mode: Mode) => ({ name: `${routes[route].name}, ${modes[mode].name}`, port: ports[mode], next: routes[route].next })

for (const route of Object.keys(routes) as Array<Route>) {
  for (const mode of order) {
    log(`warm-up ${target(route, mode).name}`)
    await load(target(route, mode), WARMUP_S, CONNECTIONS, servers[mode].pid)
  }
}
for (let round = 1; round <= ROUNDS; round++) {
  for (const route of Object.keys(routes) as Array<Route>) {
    for (const mode of order) {
      const spansBefore = exportedSpans
      const measured = await load(target(route, mode), DURATION_S, CONNECTIONS, servers[mode].pid)
      // Batches leave every second: wait for this run's last one before counting the next run's.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const spans = (exportedSpans - spansBefore) / Math.max(1, measured.rps * DURATION_S)
      log(`round ${round} ${target(route, mode).name}: ${fmt(measured.rps)} req/s, p99 ${measured.p99} ms, ${fmt(spans, 1)} spans/req exported, ${measured.failures} failures`)
      const key = `${route} ${mode}`
      runs.set(key, [...(runs.get(key) ?? []), { ...measured, spans }])
    }
  }
}
const result = (route: Route, mode: Mode) => {
  const measured = runs.get(`${route} ${mode}`)!
  return { ...summarize(measured), spans: median(measured.map((m) => m.spans)) }
}

// The receiver's totals over the service runs (the in-process runs below export to it too).
const runExports = exports
const runBytes = exportedBytes

// ---- the series of one scrape ----

const scrape = await fetch(`http://127.0.0.1:${ports.full}/metrics`).then((r) => r.text())
const series = scrape.split("\n").filter((line) => line !== "" && !line.startsWith("#"))
const families = new Set(scrape.split("\n").filter((line) => line.startsWith("# TYPE ")).map((line) => line.split(" ")[2]))

await Promise.all(Object.values(servers).map((child) => new Promise((resolve) => {
  child.once("exit", resolve)
  child.kill("SIGTERM")
})))

// ---- one span tree in this process: a server span with the attributes a request has, and one child ----

log("span cost in process")
const REPEATS = quick ? 20_000 : 200_000
const serverAttributes = {
  "http.request.method": "GET",
  "url.full": "http://127.0.0.1:3000/services/5d0c0a4e-1b7e-4a43-9a51-3c7b2b0e1f00",
  "url.path": "/services/5d0c0a4e-1b7e-4a43-9a51-3c7b2b0e1f00",
  "url.scheme": "http",
  "user_agent.original": "autocannon",
  "client.address": "127.0.0.1",
  "http.route": "/services/:id",
  "http.request_id": "0b8f6c0e-3a1d-4c55-8f0e-6a2f9d7c1e42",
  "http.response.status_code": 200,
  "db.statements": 0
}
const tree = Effect.void.pipe(Effect.withSpan("Services.get"), Effect.withSpan("GET /services/{id}", { kind: "server", attributes: serverAttributes }))
const otlpTracer = (serialization: Layer.Layer<OtlpSerialization.OtlpSerialization>, ratio: number) =>
  Layer.effect(
    Tracer.Tracer,
    Effect.map(
      OtlpTracer.make({ url: `${receiverUrl}/v1/traces`, exportInterval: "1 second", resource: { serviceName: "bench", serviceVersion: "0" } }),
      (tracer) => sampling(tracer, { parentBased: true, ratio })
    )
  ).pipe(Layer.provide([OtlpExporter.layerFlusher, serialization, FetchHttpClient.layer]))
const perTree = (layer: Layer.Layer<never>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const rounds: Array<number> = []
    for (let round = 0; round < 3; round++) {
      const started = performance.now()
      for (let i = 0; i < REPEATS; i++) yield* tree
      rounds.push((performance.now() - started) * 1000 / REPEATS)
    }
    return median(rounds)
  }).pipe(Effect.provide(layer))))
const inProcess = {
  native: await perTree(Layer.empty),
  dropped: await perTree(otlpTracer(OtlpSerialization.layerJson, 0)),
  json: await perTree(otlpTracer(OtlpSerialization.layerJson, 1)),
  protobuf: await perTree(otlpTracer(OtlpSerialization.layerProtobuf, 1))
}
receiver.close()
await Fs.rm(dataDir, { recursive: true, force: true })

// ---- report ----

const cost = (route: Route, mode: Mode) => 1 - result(route, mode).rps / result(route, "off").rps
const pct = (x: number) => `${fmt(x * 100, 1)} %`
const rows = (Object.keys(routes) as Array<Route>).flatMap((route) =>
  order.map((mode) => {
    const r = result(route, mode)
    return `| ${routes[route].name} | ${modes[mode].name} | ${fmt(r.rps)} | ${mode === "off" ? "—" : pct(cost(route, mode))} | ${fmt(r.p99)} | ${fmt(r.cpuUs)} | ${fmt(r.spans, 1)} | ${r.failures} |`
  })
)
const verdict = (limit: number, mode: Mode) =>
  (Object.keys(routes) as Array<Route>).map((route) => `${routes[route].name.split(" (")[0]} ${pct(cost(route, mode))} (**${cost(route, mode) <= limit ? "met" : "not met"}**)`).join(", ")
const cpuDelta = (route: Route, mode: Mode) => result(route, mode).cpuUs - result(route, "off").cpuUs

const report = `# Tracing benchmark

\`npm run bench:tracing\` (\`bench/http/tracing.ts\`, also the last part of \`npm run bench:http\`) on ${Os.cpus().length} cores
(${Os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}, PostgreSQL ${version}, the seeded dataset at scale 1.
Five service processes as \`npm run api\` runs them (Redis cache on, rate limits off), differing only in their
telemetry settings; the OTLP/HTTP receiver runs in the benchmark's process, counts the spans and answers 200, as a
collector on the same host would. autocannon, ${CONNECTIONS} connections, ${WARMUP_S} s of warm-up per target, then ${ROUNDS}
interleaved rounds of ${DURATION_S} s; each figure is the median of the rounds. Compare within this run only: the machine's
noise between runs is larger than the effects measured here.

| route | telemetry | req/s | throughput cost | p99 ms | server CPU µs/req | spans/req exported | errors |
|---|---|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}

Targets: at most 10 % throughput cost at 100 % sampling — ${verdict(0.1, "full")}; at most 3 % at 10 %
parent-based sampling — ${verdict(0.03, "tenth")}.

**Which spans are exported.** Function spans (\`Effect.fn\`) fold into the span above them and a batched
lookup's statement span stands for its batch (\`otel/README.md\`), so a cache hit exports its server span alone and
the overview one span per statement. The last row of each route exports the function spans too
(\`TRACE_FUNCTION_SPANS=true\`): ${fmt(result("service", "functions").spans, 1)} and ${fmt(result("overview", "functions").spans, 1)} spans per request, costing
${pct(cost("service", "functions"))} and ${pct(cost("overview", "functions"))} against ${pct(cost("service", "full"))} and ${pct(cost("overview", "full"))} folded (server CPU
${fmt(result("service", "functions").cpuUs)} and ${fmt(result("overview", "functions").cpuUs)} against ${fmt(result("service", "full").cpuUs)} and ${fmt(result("overview", "full").cpuUs)} µs per request).

**What the cost is made of.** Effect's tracer makes every span whether or not it is exported (with tracing off
they are its native, unexported kind), so what export adds is the OTLP span objects and, for a sampled span, its
conversion to OTLP at its end (\`makeOtlpSpan\`, on the request's path), the JSON serialisation of each batch
(\`JSON.stringify\` of up to 512 spans, every second or when full) and its POST. In the service, server CPU per request rises by
${fmt(cpuDelta("service", "full"))} µs (cache hit, ${fmt(result("service", "full").spans, 1)} spans) and ${fmt(cpuDelta("overview", "full"))} µs (overview, ${fmt(result("overview", "full").spans, 1)} spans) at 100 %; with every span dropped by
the sampler, ${fmt(cpuDelta("service", "dropped"))} and ${fmt(cpuDelta("overview", "dropped"))} µs. A CPU profile of a 100 % process taken apart from
this run (\`node --cpu-prof\`, \`docs/performance.md\`) found about 30 µs per exported server span: garbage collection of the
OTLP span objects, the batches' \`JSON.stringify\` (1.45 kB per server span), the conversion and the export's \`fetch\`. The receiver shares the two cores and the benchmark's process
(${fmt(runBytes / 1e6, 1)} MB of JSON in ${fmt(runExports)} exports over the runs and their warm-ups).

The same two-span tree (a server span with a request's ten attributes, one child) made ${fmt(REPEATS)} times in this process:

| tracer | µs per tree |
|---|---:|
| native (tracing off) | ${fmt(inProcess.native, 2)} |
| OTLP, every span dropped by the sampler | ${fmt(inProcess.dropped, 2)} |
| OTLP, exported as JSON (what the service uses) | ${fmt(inProcess.json, 2)} |
| OTLP, exported as protobuf | ${fmt(inProcess.protobuf, 2)} |

So an exported span costs about ${fmt((inProcess.json - inProcess.native) / 2, 1)} µs on its own (in the service under load, with its larger
attribute sets, events and the collector's share of the cores, about ${fmt(cpuDelta("service", "full") / result("service", "full").spans)} µs), and a dropped one next to nothing: the cost
of tracing is proportional to the spans exported, which is why sampling is the lever. JSON is chosen over
protobuf because Effect's protobuf encoder is written in JavaScript and costs ${fmt(inProcess.protobuf / inProcess.json, 1)}× as much here.

## Metric series

A \`GET /metrics\` scrape of the 100 % process after the runs: **${series.length} series** in ${families.size} metric families
(histogram buckets, sums and counts each count as series). Attributes are route templates, operations, states,
entities, queues and tasks: bounded whatever the traffic (no paths, ids or user values).
`

await writeReport("tracing.md", report)
process.exit(0)

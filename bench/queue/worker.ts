// @effect-diagnostics processEnv:off
/**
 * One worker process of the queue benchmark: `node bench/queue/worker.ts
 * <system> <mode>` with `DATABASE_URL`, `CONCURRENCY`. Systems: `ours`,
 * `graphile`, `pgboss`. Modes:
 * - `noop`: every job succeeds at once;
 * - `latency`: reports `start - t0` of each job (payload `t0`, epoch ms);
 * - `retry`: a job fails on its first run and succeeds on its second.
 * Every 25 ms it prints `progress <succeeded> <first start> <last end> <runs>`,
 * `lat <ms>` lines in latency mode, and with `REPORT_MEMORY=1` (and `--expose-gc`)
 * `mem <rss MiB> <live heap MiB>` once a second. SIGTERM stops it.
 * Jobs whose id starts with `w-` are a warm-up: run, never counted.
 * With `GATED=1` it prints `loaded` once its modules are, and starts only
 * when a `go` line arrives on stdin, so several processes start together.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ConfigProvider, Effect, Layer, Schedule } from "effect"
import { run as runGraphile } from "graphile-worker"
import { PgBoss } from "pg-boss"
import { Ping } from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import * as JobRunner from "../../src/infra/JobRunner.ts"
import { PgLive } from "../../src/infra/Sql.ts"

if (process.env.GATED === "1") {
  process.stdout.write("loaded\n")
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()))
}

const [system, mode] = process.argv.slice(2) as ["ours" | "graphile" | "pgboss", "noop" | "latency" | "retry"]
const databaseUrl = process.env.DATABASE_URL!
const concurrency = Number(process.env.CONCURRENCY ?? 10)
const now = () => performance.timeOrigin + performance.now()

let succeeded = 0
let runs = 0
let firstStart = 0
let lastEnd = 0
const seen = new Set<string>()
const latencies: Array<number> = []

/** The benchmark's handler, shared by all three systems. */
const handle = (id: string, t0: number | undefined) => {
  // Warm-up jobs (ids `w-…`) run first and are not counted (see the benchmark's throughput runs).
  if (id.startsWith("w-")) return
  const started = now()
  runs++
  if (firstStart === 0) firstStart = started
  if (mode === "latency" && t0 !== undefined) latencies.push(started - t0)
  if (mode === "retry" && !seen.has(id)) {
    seen.add(id)
    throw new Error("first attempt fails")
  }
  succeeded++
  lastEnd = now()
}

let ticks = 0
const report = setInterval(() => {
  if (process.env.REPORT_MEMORY === "1" && ticks++ % 40 === 0) {
    // Live heap after a full collection tells a leak from the heap V8 merely keeps reserved (RSS).
    ;(globalThis as { gc?: () => void }).gc?.()
    const memory = process.memoryUsage()
    process.stdout.write(`mem ${memory.rss / 2 ** 20} ${memory.heapUsed / 2 ** 20}\n`)
  }
  if (latencies.length > 0) process.stdout.write(latencies.splice(0).map((l) => `lat ${l.toFixed(3)}\n`).join(""))
  process.stdout.write(`progress ${succeeded} ${firstStart} ${lastEnd} ${runs}\n`)
}, 25)

const stopped = new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()))
const finish = () => {
  clearInterval(report)
  process.stdout.write(`progress ${succeeded} ${firstStart} ${lastEnd} ${runs}\n`)
}

if (system === "ours") {
  const ping = JobRunner.task(
    Ping,
    (job) => Effect.sync(() => handle(job.id.split("|")[0]!, job.id.includes("|") ? Number(job.id.split("|")[1]) : undefined)),
    { retry: Schedule.spaced(0) }
  )
  const Worker = JobRunner.layer([ping]).pipe(
    Layer.provideMerge(JobQueue.layer),
    Layer.provide(PgLive),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      DATABASE_URL: databaseUrl,
      DB_POOL_MAX: "12",
      WORKER_QUEUES: "default",
      JOB_CONCURRENCY: `default=${concurrency}`,
      JOB_BATCH_SIZE: "50"
    })))
  )
  NodeRuntime.runMain(
    Layer.launch(Worker).pipe(Effect.ensuring(Effect.sync(finish))),
    { disableErrorReporting: true, teardown: (_, onExit) => onExit(0) }
  )
} else if (system === "graphile") {
  const runner = await runGraphile({
    connectionString: databaseUrl,
    noHandleSignals: true,
    preset: {
      worker: {
        concurrentJobs: concurrency,
        maxPoolSize: 12,
        pollInterval: 2000,
        localQueue: { size: 50 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0
      }
    },
    taskList: {
      noop: async (payload) => {
        const p = payload as { id: string; t0?: number }
        handle(p.id, p.t0)
      }
    }
  })
  await stopped
  await runner.stop()
  finish()
  process.exit(0)
} else {
  const boss = new PgBoss({ connectionString: databaseUrl, max: 12, useListenNotify: true })
  boss.on("error", () => undefined)
  await boss.start()
  await boss.work<{ id: string; t0?: number }>(
    "bench",
    { localConcurrency: 2, batchSize: 5, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5, perJobResults: true },
    async (jobs) =>
      jobs.map((job) => {
        try {
          handle(job.data.id, job.data.t0)
          return { id: job.id, status: "completed" as const }
        } catch {
          return { id: job.id, status: "failed" as const }
        }
      })
  )
  await stopped
  await boss.stop({ graceful: false })
  finish()
  process.exit(0)
}

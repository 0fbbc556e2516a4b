// @effect-diagnostics processEnv:off
/**
 * What the HTTP benchmarks share: child processes that die with the run, a
 * readiness wait, a server's CPU time from `/proc`, and one autocannon load
 * of a target with its medians' raw material.
 */
import autocannon from "autocannon"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import pg from "pg"

/** `BENCH_QUICK=1`: a short run, printed instead of written. */
export const quick = process.env.BENCH_QUICK === "1"
/** The load runs' shape: interleaved rounds of `DURATION_S` after `WARMUP_S` per target, `CONNECTIONS` at once. */
export const ROUNDS = quick ? 1 : 3
export const DURATION_S = quick ? 3 : 10
export const WARMUP_S = quick ? 2 : 5
export const CONNECTIONS = 50
/** Where the benchmarks create their databases. */
export const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://root@127.0.0.1:5432/postgres"

export const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
export const fmt = (n: number, digits = 0) => n.toLocaleString("en-CA", { maximumFractionDigits: digits, minimumFractionDigits: digits })
export const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`)
const node = process.execPath
export const root = Path.resolve(import.meta.dirname, "..")

/** Creates `name` afresh (dropping any earlier one) on the server of `adminUrl`; answers its URL. */
export const freshDatabase = async (name: string) => {
  const admin = new pg.Pool({ connectionString: adminUrl, max: 1 })
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  return adminUrl.replace(/\/[^/]*$/, `/${name}`)
}

/** `freshDatabase(name)`, seeded (`npm run seed`, scale 1); answers its URL and what the seed printed. */
export const seededDatabase = async (name: string) => {
  const url = await freshDatabase(name)
  log("seeding (scale 1)")
  const seeded = spawnSync(node, ["src/seed.ts"], { cwd: root, env: { ...process.env, DATABASE_URL: url }, encoding: "utf8" })
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`)
  return { url, output: seeded.stdout.trim() }
}

const children: Array<ChildProcess> = []
process.on("exit", () => children.forEach((child) => child.kill("SIGKILL")))

export const start = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(node, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] })
  children.push(child)
  return child
}

export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

/**
 * A benchmark's report: `docs/benchmarks/<name>`, or printed on a quick run
 * (a short run's numbers are not worth keeping).
 */
export const writeReport = async (name: string, report: string) => {
  if (quick) {
    process.stdout.write(report)
    return
  }
  await Fs.mkdir(Path.join(root, "docs/benchmarks"), { recursive: true })
  await Fs.writeFile(Path.join(root, "docs/benchmarks", name), report)
  log(`wrote docs/benchmarks/${name}`)
}

/** Stops every process started so far. */
export const stopAll = () => Promise.all(children.splice(0).map(stop))

export const waitFor = async (url: string) => {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(url).then((r) => r.status < 500, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} never answered`)
}

/** CPU seconds so far of a process (Linux `/proc`): user + system. */
export const processCpu = async (pid: number | undefined) => {
  if (pid === undefined) return 0
  const stat = await Fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export interface Target {
  readonly name: string
  readonly port: number
  readonly method?: "GET" | "POST"
  /** The i-th request of a run. */
  readonly next: (i: number) => { readonly path: string; readonly body?: string; readonly headers?: Record<string, string> }
}

export interface Measured {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly failures: number
  /** CPU time of the server process per request, in µs. */
  readonly cpuUs: number
  /** 4xx answers (the expected 409s of a contention run). */
  readonly conflicts: number
}

/** `seconds` of load on `target` over `connections`; `pid` is the server's, for its CPU per request. */
export const load = async (target: Target, seconds: number, connections: number, pid: number | undefined): Promise<Measured> => {
  let i = 0
  const cpuBefore = await processCpu(pid)
  return autocannon({
    url: `http://127.0.0.1:${target.port}`,
    connections,
    duration: seconds,
    requests: [{
      method: target.method ?? "GET",
      headers: { "content-type": "application/json" },
      setupRequest: (request) => {
        const { path, body, headers } = target.next(i++)
        return { ...request, path, ...(body !== undefined && { body }), ...(headers !== undefined && { headers: { ...request.headers, ...headers } }) }
      }
    }]
  }).then(async (result) => ({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    conflicts: (result as unknown as Record<string, number>)["4xx"] ?? 0,
    cpuUs: ((await processCpu(pid)) - cpuBefore) * 1e6 / Math.max(1, result.requests.total)
  }))
}

/** A target's rounds in one figure each: medians of the rates and times, sums of the failures and conflicts. */
export const summarize = (rounds: ReadonlyArray<Measured>) => ({
  rps: median(rounds.map((m) => m.rps)),
  p50: median(rounds.map((m) => m.p50)),
  p99: median(rounds.map((m) => m.p99)),
  cpuUs: median(rounds.map((m) => m.cpuUs)),
  failures: rounds.reduce((sum, m) => sum + m.failures, 0),
  conflicts: rounds.reduce((sum, m) => sum + m.conflicts, 0)
})

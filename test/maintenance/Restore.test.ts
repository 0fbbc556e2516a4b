/**
 * The restore procedure of `docs/deployment.md`, end to end: a backup made by
 * the `BackupDatabase` job, piped through `gunzip | psql` into an empty
 * database, and the service booted on it serving what was backed up.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Data, Effect, Layer, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { BackupDatabase } from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { Transactions } from "../../src/infra/Sql.ts"
import { Backups } from "../../src/maintenance/Backups.ts"
import * as MaintenanceJobs from "../../src/maintenance/Jobs.ts"
import { MaintenanceRepo } from "../../src/maintenance/MaintenanceRepo.ts"
import { insertService, insertUser } from "../utils/fixtures.ts"
import { awaitStatus, startService } from "../utils/ServiceProcess.ts"
import { currentDatabaseUrl, scopedDatabase, TestDatabase } from "../utils/TestDatabase.ts"
import { TEST_JWT_SECRET } from "../utils/TestInfra.ts"

const Live = Layer.mergeAll(MaintenanceRepo.layer, JobQueue.layer, Transactions.layer).pipe(Layer.provideMerge(TestDatabase()))

class RestoreFailed extends Data.TaggedError("RestoreFailed")<{ readonly message: string }> {}

/** `gunzip -c file | psql -v ON_ERROR_STOP=1 --single-transaction url`; fails with psql's stderr. */
const restore = (file: string, url: string) =>
  Effect.callback<void, RestoreFailed>((resume) => {
    const gunzip = spawn("gunzip", ["-c", file], { stdio: ["ignore", "pipe", "inherit"] })
    const psql = spawn("psql", ["-v", "ON_ERROR_STOP=1", "--single-transaction", "-q", url], { stdio: ["pipe", "ignore", "pipe"] })
    gunzip.stdout.pipe(psql.stdin)
    let stderr = ""
    psql.stderr.on("data", (chunk: Buffer) => stderr += chunk.toString())
    psql.once("exit", (code) => resume(code === 0 ? Effect.void : Effect.fail(new RestoreFailed({ message: `psql exited ${code}: ${stderr}` }))))
  })

describe("restore", () => {
  it.layer(Live, { timeout: "90 seconds", excludeTestServices: true })((it) => {
    it.effect("a backup made by the job restores into an empty database, and the service boots on it and serves the data", () =>
      Effect.gen(function*() {
        const providerId = yield* insertUser("provider")
        const serviceId = yield* insertService(providerId)
        const dir = yield* Effect.acquireRelease(
          Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-restore-"))),
          (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
        )
        const settings = { DATA_DIR: dir, DATABASE_URL: yield* currentDatabaseUrl }
        yield* Effect.flatMap(MaintenanceJobs.tasks, (tasks) =>
          tasks.find((t) => t.tag === "BackupDatabase")!.handle(new BackupDatabase({ keep: 1 }), { jobId: "1", attempt: 1, maxAttempts: 1 })).pipe(
            Effect.provide(Backups.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(settings)))))
          )
        const [backup] = yield* Effect.promise(() => Fs.readdir(Path.join(dir, "backups")))

        const empty = yield* scopedDatabase({ migrated: false })
        const url = Redacted.value(empty.url)
        yield* restore(Path.join(dir, "backups", backup!), url)

        const service = yield* Effect.acquireRelease(
          Effect.promise(() => startService({ DATABASE_URL: url, DATA_DIR: dir, JWT_SECRET: TEST_JWT_SECRET, WORKERS_ENABLED: "false" })),
          (service) => Effect.sync(() => service.child.kill("SIGKILL"))
        )
        yield* Effect.promise(() => awaitStatus(`http://127.0.0.1:${service.port}/health/ready`, 200, 30_000))
        const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${service.port}/services/${serviceId}`))
        assert.strictEqual(response.status, 200)
        const body = (yield* Effect.promise(() => response.json())) as { title: string; provider: { id: string } }
        assert.strictEqual(body.title, "Dog walks")
        assert.strictEqual(body.provider.id, providerId)
        assert.notMatch(service.output().stdout, /applied \d+ migration/, "nothing was left to migrate")
        service.child.kill("SIGTERM")
        assert.strictEqual(yield* Effect.promise(() => service.exited), 0)
      }).pipe(Effect.scoped))
  })
})

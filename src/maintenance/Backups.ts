/**
 * Database backups under `$DATA_DIR/backups`, gzipped, newest `keep` kept.
 * On PostgreSQL: `pg_dump` in plain SQL (restorable with `psql`), the
 * password passed through `PGPASSWORD`, never on a command line. On the
 * embedded PGlite, which has no `pg_dump`: a logical export of every table as
 * JSON lines (`{"table": …, "row": …}`), parents before children.
 */
import { Config, Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import { spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { pipeline } from "node:stream/promises"
import { createGzip } from "node:zlib"
import * as Settings from "../infra/Settings.ts"
import { pgConfig } from "../infra/Sql.ts"
import { MaintenanceRepo } from "./MaintenanceRepo.ts"

export class BackupFailed extends Data.TaggedError("BackupFailed")<{ readonly message: string }> {}

const encodeLine = Schema.encodeSync(
  Schema.fromJsonString(Schema.Struct({ table: Schema.String, row: Schema.Unknown }))
)
const decodeRow = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Unknown))

export class Backups extends Context.Service<Backups>()("maplehustle/maintenance/Backups", {
  make: Effect.gen(function*() {
    const repo = yield* MaintenanceRepo
    const url = yield* Config.option(Config.Redacted("DATABASE_URL"))
    const directory = Path.resolve(yield* Settings.dataDir, "backups")
    const searchPath = yield* Config.String("PATH").pipe(Config.withDefault("/usr/local/bin:/usr/bin:/bin"))

    const pgDump = (databaseUrl: Redacted.Redacted<string>, target: string) =>
      Effect.callback<void, BackupFailed>((resume) => {
        const config = pgConfig(databaseUrl)
        const child = spawn("pg_dump", ["--no-owner", "--no-privileges", "--format=plain"], {
          env: {
            PATH: searchPath,
            PGHOST: config.host ?? "localhost",
            PGPORT: String(config.port ?? 5432),
            PGUSER: config.username ?? "postgres",
            PGDATABASE: config.database ?? "postgres",
            ...(config.password !== undefined && Redacted.isRedacted(config.password) &&
              { PGPASSWORD: Redacted.value(config.password) })
          },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stderr = ""
        child.stderr.on("data", (chunk) => stderr += chunk)
        child.once("error", (error) => resume(Effect.fail(new BackupFailed({ message: `pg_dump: ${error.message}` }))))
        const written = pipeline(child.stdout, createGzip(), createWriteStream(target))
        child.once("close", (code) => {
          written.then(
            () => resume(code === 0 ? Effect.void : Effect.fail(new BackupFailed({ message: `pg_dump exited ${code}: ${stderr.trim()}` }))),
            (error: Error) => resume(Effect.fail(new BackupFailed({ message: error.message })))
          )
        })
        return Effect.sync(() => child.kill("SIGKILL"))
      })

    const logicalExport = (target: string) =>
      Effect.gen(function*() {
        const gzip = createGzip()
        const done = pipeline(gzip, createWriteStream(target))
        for (const table of yield* repo.tables()) {
          for (const line of yield* repo.exportTable(table)) {
            gzip.write(`${encodeLine({ table, row: decodeRow(line) })}\n`)
          }
        }
        gzip.end()
        yield* Effect.tryPromise({ try: () => done, catch: (e) => new BackupFailed({ message: String(e) }) })
      })

    /** Writes a new backup and deletes all but the newest `keep`; returns the new file's path. */
    const backup = Effect.fn("Backups.backup")(function*(keep: number) {
      yield* Effect.promise(() => Fs.mkdir(directory, { recursive: true }))
      const stamp = new Date().toISOString().replaceAll(":", "-")
      const name = Option.isSome(url) ? `maplehustle-${stamp}.sql.gz` : `maplehustle-${stamp}.jsonl.gz`
      const partial = Path.join(directory, `.${name}.part`)
      yield* (Option.isSome(url) ? pgDump(url.value, partial) : logicalExport(partial)).pipe(
        Effect.tapError(() => Effect.promise(() => Fs.rm(partial, { force: true })))
      )
      yield* Effect.promise(() => Fs.rename(partial, Path.join(directory, name)))
      const backups = (yield* Effect.promise(() => Fs.readdir(directory)))
        .filter((file) => /^maplehustle-.*\.(sql|jsonl)\.gz$/.test(file))
        .sort()
      for (const old of backups.slice(0, Math.max(0, backups.length - keep))) {
        yield* Effect.promise(() => Fs.rm(Path.join(directory, old), { force: true }))
      }
      return Path.join(directory, name)
    })

    return { directory, backup }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { afterAll, assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import sharp from "sharp"
import { CleanupTempFiles, GenerateThumbnails, type Job } from "../../src/domain/Job.ts"
import { FilesRepo } from "../../src/files/FilesRepo.ts"
import * as FilesJobs from "../../src/files/Jobs.ts"
import { FileStorage } from "../../src/files/Storage.ts"
import type { Task } from "../../src/infra/JobRunner.ts"
import { insertUser } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

const dataDir = Path.join(Os.tmpdir(), `mh-files-${process.pid}-${Date.now()}`)
afterAll(() => Fs.rm(dataDir, { recursive: true, force: true }))

const FilesLive = Layer.mergeAll(
  FilesRepo.layer,
  FileStorage.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATA_DIR: dataDir }))))
).pipe(Layer.provideMerge(TestDatabase()))

const run = (job: Job) =>
  Effect.flatMap(FilesJobs.tasks, (tasks: ReadonlyArray<Task>) =>
    tasks.find((t) => t.tag === job._tag)!.handle(job, { jobId: "1", attempt: 1, maxAttempts: 5 }))

describe("file tasks", () => {
  it.layer(FilesLive, { timeout: "60 seconds", excludeTestServices: true })((it) => {
    it.effect("GenerateThumbnails writes 128 px and 512 px WebP thumbnails once", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const storage = yield* FileStorage
        const ownerId = yield* insertUser("provider")
        const png = yield* Effect.promise(() =>
          sharp({ create: { width: 1600, height: 900, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer())
        const storageName = storage.newName("png")
        yield* storage.write(storageName, png)
        const [file] = yield* sql<{ id: string }>`
          INSERT INTO files (owner_id, purpose, content_type, size, storage_name)
          VALUES (${ownerId}, 'item_image', 'image/png', ${png.length}, ${storageName}) RETURNING id`
        yield* run(new GenerateThumbnails({ fileId: file!.id }))
        yield* run(new GenerateThumbnails({ fileId: file!.id }))
        const thumbnails = yield* sql<{ thumbnailSize: number; storageName: string; contentType: string; size: number }>`
          SELECT thumbnail_size, storage_name, content_type, size FROM files
          WHERE original_file_id = ${file!.id} ORDER BY thumbnail_size`
        assert.deepStrictEqual(thumbnails.map((t) => t.thumbnailSize), [128, 512])
        for (const thumbnail of thumbnails) {
          assert.strictEqual(thumbnail.contentType, "image/webp")
          const meta = yield* Effect.promise(async () => sharp(await Fs.readFile(Path.join(storage.root, thumbnail.storageName))).metadata())
          assert.strictEqual(meta.format, "webp")
          assert.strictEqual(Math.max(meta.width ?? 0, meta.height ?? 0), thumbnail.thumbnailSize)
          assert.strictEqual(Number(thumbnail.size), (yield* storage.read(thumbnail.storageName)).length)
        }
        const stored = (yield* Effect.promise(() => Fs.readdir(storage.root))).filter((n) => n.endsWith(".webp"))
        assert.strictEqual(stored.length, 2, "a rerun leaves no orphan files")
      }))

    it.effect("non-images are left alone", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const ownerId = yield* insertUser("client")
        const [file] = yield* sql<{ id: string }>`
          INSERT INTO files (owner_id, purpose, content_type, size, storage_name)
          VALUES (${ownerId}, 'document', 'application/pdf', 10, 'doc-1.pdf') RETURNING id`
        yield* run(new GenerateThumbnails({ fileId: file!.id }))
        const rows = yield* sql`SELECT id FROM files WHERE original_file_id = ${file!.id}`
        assert.strictEqual(rows.length, 0)
      }))

    it.effect("CleanupTempFiles deletes only temporary files older than the cutoff", () =>
      Effect.gen(function*() {
        const storage = yield* FileStorage
        const old = Path.join(storage.tmp, "old-upload")
        const fresh = Path.join(storage.tmp, "fresh-upload")
        yield* Effect.promise(async () => {
          await Fs.writeFile(old, "x")
          await Fs.writeFile(fresh, "y")
          const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000)
          await Fs.utimes(old, twoDaysAgo, twoDaysAgo)
        })
        yield* run(new CleanupTempFiles({ olderThanHours: 24 }))
        const left = yield* Effect.promise(() => Fs.readdir(storage.tmp))
        assert.deepStrictEqual(left, ["fresh-upload"])
      }))
  })
})

/**
 * File tasks: WebP thumbnails (128 px and 512 px, never enlarged) for uploaded
 * images, the bytes and rows of deleted files, and temporary files left behind
 * by interrupted uploads.
 */
import { Clock, Effect, Option } from "effect"
import { CleanupTempFiles, GenerateThumbnails, PurgeFile } from "../domain/Job.ts"
import * as JobRunner from "../infra/JobRunner.ts"
import { FilesRepo } from "./FilesRepo.ts"
import { FileStorage } from "./Storage.ts"

export const THUMBNAIL_SIZES = [128, 512] as const

// sharp brings libvips (~40 MiB resident): loaded on the first image, not at start-up.
const loadSharp = Effect.promise(() => import("sharp").then((module) => module.default))
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/webp"])

export const tasks = Effect.gen(function*() {
  const repo = yield* FilesRepo
  const storage = yield* FileStorage

  const generateThumbnails = JobRunner.task(GenerateThumbnails, (job) =>
    Effect.gen(function*() {
      const found = yield* repo.findById(job.fileId)
      if (Option.isNone(found) || found.value.deletedAt !== null) return
      const original = found.value
      if (!IMAGE_TYPES.has(original.contentType) || original.purpose === "thumbnail") return
      const done = yield* repo.thumbnailSizes(original.id)
      const bytes = yield* storage.read(original.storageName)
      const sharp = yield* loadSharp
      for (const size of THUMBNAIL_SIZES) {
        if (done.has(size)) continue
        const webp = yield* Effect.tryPromise({
          try: () => sharp(bytes).rotate().resize(size, size, { fit: "inside", withoutEnlargement: true }).webp({ quality: 80 }).toBuffer(),
          catch: (cause) => new JobRunner.PermanentJobFailure({ message: `not a readable image: ${String(cause)}` })
        })
        const storageName = storage.newName("webp")
        yield* storage.write(storageName, webp)
        const recorded = yield* repo.insertThumbnail({ original, size, storageName, bytes: webp.length })
        if (!recorded) yield* storage.remove(storageName)
      }
    }), { timeout: "2 minutes" })

  // Bytes first, rows last: a rerun after a crash finds the rows and removes (again) what is left.
  const purgeFile = JobRunner.task(PurgeFile, (job) =>
    Effect.gen(function*() {
      const names = yield* repo.deletedStorageNames(job.fileId)
      yield* Effect.forEach(names, (name) => storage.remove(name), { discard: true })
      yield* repo.purge(job.fileId)
    }))

  const cleanupTempFiles = JobRunner.task(CleanupTempFiles, (job) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const removed = yield* storage.cleanTemp(new Date(now - job.olderThanHours * 3_600_000))
      if (removed > 0) yield* Effect.logInfo(`removed ${removed} temporary file(s)`)
    }))

  return [generateThumbnails, purgeFile, cleanupTempFiles]
})

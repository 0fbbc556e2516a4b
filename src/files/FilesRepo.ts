import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export interface StoredFile {
  readonly id: string
  readonly ownerId: string
  readonly purpose: string
  readonly contentType: string
  readonly storageName: string
  readonly deletedAt: Date | null
}

export class FilesRepo extends Context.Service<FilesRepo>()("maplehustle/files/FilesRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const findById = Effect.fn("FilesRepo.findById")(function*(id: string) {
      const rows = yield* sql<StoredFile>`
        SELECT id, owner_id, purpose, content_type, storage_name, deleted_at FROM files WHERE id = ${id}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const thumbnailSizes = Effect.fn("FilesRepo.thumbnailSizes")(function*(originalFileId: string) {
      const rows = yield* sql<{ thumbnailSize: number }>`
        SELECT thumbnail_size FROM files WHERE original_file_id = ${originalFileId}`
      return new Set(rows.map((r) => r.thumbnailSize))
    }, Effect.orDie)

    /** Records a thumbnail; false when one of that size already exists (a rerun). */
    const insertThumbnail = Effect.fn("FilesRepo.insertThumbnail")(function*(thumbnail: {
      readonly original: StoredFile
      readonly size: number
      readonly storageName: string
      readonly bytes: number
    }) {
      const rows = yield* sql`
        INSERT INTO files (owner_id, purpose, content_type, size, storage_name, original_file_id, thumbnail_size)
        VALUES (${thumbnail.original.ownerId}, 'thumbnail', 'image/webp', ${thumbnail.bytes}, ${thumbnail.storageName},
                ${thumbnail.original.id}, ${thumbnail.size})
        ON CONFLICT (original_file_id, thumbnail_size) WHERE original_file_id IS NOT NULL DO NOTHING
        RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    return { findById, thumbnailSizes, insertThumbnail }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

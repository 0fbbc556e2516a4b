import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Resolvers from "../infra/Resolvers.ts"
import type { UserId } from "../domain/User.ts"
import type { FileId, UploadPurpose } from "./Api.ts"

export interface StoredFile {
  readonly id: string
  readonly ownerId: string
  readonly purpose: string
  readonly contentType: string
  readonly storageName: string
  readonly deletedAt: Date | null
}

/**
 * A live file with what deciding who may see it takes: for a thumbnail, the
 * purpose and owner of its original; the parties of the message it is
 * attached to.
 */
export interface FileRow {
  readonly id: FileId
  readonly ownerId: UserId
  readonly purpose: UploadPurpose | "thumbnail"
  readonly contentType: string
  readonly size: number
  readonly originalName: string | null
  readonly storageName: string
  readonly sha256: string | null
  readonly createdAt: Date
  readonly accessPurpose: UploadPurpose
  readonly accessOwnerId: UserId
  readonly messageSenderId: UserId | null
  readonly messageReceiverId: UserId | null
  readonly thumbnailSizes: ReadonlyArray<number>
  readonly thumbnailIds: ReadonlyArray<string>
}

export interface NewFile {
  readonly ownerId: UserId
  readonly purpose: UploadPurpose
  readonly contentType: string
  readonly size: number
  readonly originalName: string | null
  readonly storageName: string
  readonly sha256: Buffer
  readonly itemId: string | null
  readonly messageId: string | null
}

export class FilesRepo extends Context.Service<FilesRepo>()("maplehustle/files/FilesRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const findById = Resolvers.byId<string, StoredFile>("FilesRepo.byId", {
      id: (row) => row.id,
      execute: (ids) => sql<StoredFile>`
        SELECT id, owner_id, purpose, content_type, storage_name, deleted_at FROM files WHERE id = ANY(${ids}::uuid[])`
    })

    /** A file that is not deleted (nor is its original), with its access facts and live thumbnails. */
    const findLive = Effect.fn("FilesRepo.findLive")(function*(id: FileId) {
      const rows = yield* sql<FileRow>`
        SELECT f.id, f.owner_id, f.purpose::text AS purpose, f.content_type, f.size::int AS size, f.original_name,
               f.storage_name, encode(f.sha256, 'hex') AS sha256, f.created_at,
               COALESCE(o.purpose, f.purpose)::text AS access_purpose, COALESCE(o.owner_id, f.owner_id) AS access_owner_id,
               m.sender_id AS message_sender_id, m.receiver_id AS message_receiver_id,
               ARRAY(SELECT t.thumbnail_size FROM files t
                     WHERE t.original_file_id = f.id AND t.deleted_at IS NULL ORDER BY t.thumbnail_size) AS thumbnail_sizes,
               ARRAY(SELECT t.id::text FROM files t
                     WHERE t.original_file_id = f.id AND t.deleted_at IS NULL ORDER BY t.thumbnail_size) AS thumbnail_ids
        FROM files f
        LEFT JOIN files o ON o.id = f.original_file_id
        LEFT JOIN messages m ON m.id = COALESCE(o.message_id, f.message_id)
        WHERE f.id = ${id} AND f.deleted_at IS NULL AND o.deleted_at IS NULL`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const insert = Effect.fn("FilesRepo.insert")(function*(file: NewFile) {
      const rows = yield* sql<{ id: FileId; createdAt: Date }>`INSERT INTO files ${sql.insert({ ...file })} RETURNING id, created_at`
      return rows[0]!
    }, Effect.orDie)

    /** The provider selling a live item. */
    const itemProvider = Effect.fn("FilesRepo.itemProvider")(function*(itemId: string) {
      const rows = yield* sql<{ providerId: UserId }>`SELECT provider_id FROM items WHERE id = ${itemId} AND deleted_at IS NULL`
      return Option.map(Option.fromNullishOr(rows[0]), (row) => row.providerId)
    }, Effect.orDie)

    const messageParties = Effect.fn("FilesRepo.messageParties")(function*(messageId: string) {
      const rows = yield* sql<{ senderId: UserId; receiverId: UserId }>`
        SELECT sender_id, receiver_id FROM messages WHERE id = ${messageId}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /**
     * Run in a transaction: marks the file and its thumbnails deleted and drops
     * it as anyone's avatar; false when it was already deleted (a racing delete).
     */
    const markDeleted = Effect.fn("FilesRepo.markDeleted")(function*(id: FileId) {
      const rows = yield* sql<{ id: string }>`
        UPDATE files SET deleted_at = now()
        WHERE (id = ${id} OR original_file_id = ${id}) AND deleted_at IS NULL RETURNING id`
      if (!rows.some((row) => row.id === id)) return false
      yield* sql`UPDATE users SET profile_image_file_id = NULL WHERE profile_image_file_id = ${id}`
      return true
    }, Effect.orDie)

    /** Storage names of a deleted file and of all its thumbnails. */
    const deletedStorageNames = Effect.fn("FilesRepo.deletedStorageNames")(function*(id: string) {
      const rows = yield* sql<{ storageName: string }>`
        SELECT f.storage_name FROM files f JOIN files o ON o.id = ${id} AND o.deleted_at IS NOT NULL
        WHERE f.id = o.id OR f.original_file_id = o.id`
      return rows.map((row) => row.storageName)
    }, Effect.orDie)

    /** Deletes the rows of a deleted file; its thumbnails go with it (ON DELETE CASCADE). */
    const purge = Effect.fn("FilesRepo.purge")(function*(id: string) {
      yield* sql`DELETE FROM files WHERE id = ${id} AND deleted_at IS NOT NULL`
    }, Effect.orDie)

    const thumbnailSizes = Effect.fn("FilesRepo.thumbnailSizes")(function*(originalFileId: string) {
      const rows = yield* sql<{ thumbnailSize: number }>`
        SELECT thumbnail_size FROM files WHERE original_file_id = ${originalFileId}`
      return new Set(rows.map((r) => r.thumbnailSize))
    }, Effect.orDie)

    /** Records a thumbnail; false when one of that size already exists (a rerun) or the original was deleted meanwhile. */
    const insertThumbnail = Effect.fn("FilesRepo.insertThumbnail")(function*(thumbnail: {
      readonly original: StoredFile
      readonly size: number
      readonly storageName: string
      readonly bytes: number
    }) {
      const rows = yield* sql`
        INSERT INTO files (owner_id, purpose, content_type, size, storage_name, original_file_id, thumbnail_size)
        SELECT ${thumbnail.original.ownerId}, 'thumbnail', 'image/webp', ${thumbnail.bytes}, ${thumbnail.storageName},
               ${thumbnail.original.id}, ${thumbnail.size}
        WHERE EXISTS (SELECT 1 FROM files WHERE id = ${thumbnail.original.id} AND deleted_at IS NULL)
        ON CONFLICT (original_file_id, thumbnail_size) WHERE original_file_id IS NOT NULL DO NOTHING
        RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    return {
      findById,
      findLive,
      insert,
      itemProvider,
      messageParties,
      markDeleted,
      deletedStorageNames,
      purge,
      thumbnailSizes,
      insertThumbnail
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

/**
 * Uploaded files: received as a multipart stream straight into
 * `$DATA_DIR/tmp`, typed from their bytes, checked against what their purpose
 * takes, then moved into the store and recorded — with the thumbnail job — in
 * one transaction. Who may see a file follows from its purpose (avatars and
 * item images are public) or from who owns it and the message it belongs to.
 */
import { Context, Effect, Layer, Option, Schema, Stream } from "effect"
import type { Multipart } from "effect/http"
import { fileTypeFromBuffer } from "file-type"
import {
  BadRequest,
  decodeIssues,
  type DecodeIssue,
  Forbidden,
  HttpApiDecodeError,
  NotFound,
  PayloadTooLarge,
  summarizeIssues,
  UnsupportedMediaType
} from "../domain/Errors.ts"
import { GenerateThumbnails, PurgeFile } from "../domain/Job.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import { Transactions } from "../infra/Sql.ts"
import type { Caller } from "../users/Authentication.ts"
import {
  type FileId,
  type FileView,
  IMAGE_MAX_BYTES,
  MiB,
  UPLOAD_MAX_BYTES,
  UploadFields,
  type UploadPurpose
} from "./Api.ts"
import { type FileRow, FilesRepo } from "./FilesRepo.ts"
import { type Received, FileStorage } from "./Storage.ts"

const imageTypes = ["image/jpeg", "image/png", "image/webp"] as const
const documentTypes = ["application/pdf", "text/plain"] as const

/** What each purpose takes (API.md): images everywhere, documents as documents and attachments. */
export const allowedTypes: { readonly [P in UploadPurpose]: ReadonlyArray<string> } = {
  avatar: imageTypes,
  item_image: imageTypes,
  document: documentTypes,
  message_attachment: [...imageTypes, ...documentTypes]
}

const extensions: Readonly<Record<string, string>> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "application/pdf": "pdf",
  "text/plain": "txt"
}

export const isImage = (contentType: string) => (imageTypes as ReadonlyArray<string>).includes(contentType)

const publicPurposes: ReadonlySet<string> = new Set(["avatar", "item_image"])

/** Avatars and item images (and their thumbnails) for anyone; the rest for the owner, admins and the message's parties. */
export const canSee = (
  file: Pick<FileRow, "accessPurpose" | "accessOwnerId" | "messageSenderId" | "messageReceiverId">,
  viewer: Option.Option<Caller>
) =>
  publicPurposes.has(file.accessPurpose) ||
  Option.exists(viewer, (caller) =>
    caller.role === "admin" || caller.id === file.accessOwnerId || caller.id === file.messageSenderId ||
    caller.id === file.messageReceiverId)

// Text has no magic number: plain text is valid UTF-8 without control characters other than tab, newlines and form feed.
const controlCharacters = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/
const utf8 = new TextDecoder("utf-8", { fatal: true })
export const isPlainText = (bytes: Uint8Array) => {
  try {
    return !controlCharacters.test(utf8.decode(bytes))
  } catch {
    return false
  }
}

/** The client's file name as metadata only: its last path segment, printable, at most 255 characters. */
export const displayName = (name: string) => {
  const base = name.split(/[\\/]/).pop() ?? ""
  const printable = Array.from(base.replace(/[\u0000-\u001F\u007F]/g, "").trim()).slice(0, 255).join("")
  return printable === "" ? null : printable
}

const fileView = (row: FileRow): FileView => ({
  id: row.id,
  owner_id: row.ownerId,
  purpose: row.purpose,
  content_type: row.contentType,
  size: row.size,
  original_name: row.originalName,
  thumbnails: row.thumbnailIds.map((fileId, i) => ({ size: row.thumbnailSizes[i]!, file_id: fileId })),
  created_at: row.createdAt.toISOString()
})

const tooLarge = (limit: number, what: string) =>
  new PayloadTooLarge({ message: `${what} may be at most ${limit / MiB} MiB`, limit_bytes: limit })

const onePartError = new BadRequest({ message: "Send exactly one file, in the form field named file" })

/** The parser's limit and syntax failures as the envelope's 413 and 400. */
const fromMultipartError = (error: Multipart.MultipartError): Effect.Effect<never, PayloadTooLarge | BadRequest> => {
  switch (error.reason._tag) {
    case "FileTooLarge":
    case "BodyTooLarge":
      return Effect.fail(tooLarge(UPLOAD_MAX_BYTES, "An upload"))
    case "FieldTooLarge":
      return Effect.fail(new BadRequest({ message: "A form field exceeds 1 KiB" }))
    case "TooManyParts":
      return Effect.fail(new BadRequest({ message: "Too many form parts: send file, purpose and item_id or message_id" }))
    case "Parse":
      return Effect.fail(new BadRequest({ message: "The body is not a readable multipart/form-data form" }))
    case "InternalError":
      return Effect.die(error)
  }
}

const decodeFields = Schema.decodeUnknownEffect(UploadFields)

const badFields = (issues: ReadonlyArray<DecodeIssue>) =>
  new HttpApiDecodeError({ in: "body", message: `Invalid request body: ${summarizeIssues(issues)}`, issues })

export class Files extends Context.Service<Files>()("maplehustle/files/Files", {
  make: Effect.gen(function*() {
    const repo = yield* FilesRepo
    const storage = yield* FileStorage
    const tx = yield* Transactions
    const jobs = yield* JobQueue

    const notFound = (id: string) => new NotFound({ message: `No file ${id}` })

    /** Reads the form: its fields, and its one file into a temporary file. */
    const receiveForm = (parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>, received: Array<Received>) =>
      Effect.gen(function*() {
        const fields: Record<string, string> = {}
        let originalName: string | null = null
        yield* Stream.runForEach(parts, (part): Effect.Effect<void, BadRequest | Multipart.MultipartError> => {
          if (part._tag === "Field") {
            if (part.key in fields) return Effect.fail(new BadRequest({ message: `The field ${part.key} is given twice` }))
            fields[part.key] = part.value
            return Effect.void
          }
          if (part.key !== "file" || received.length > 0) return Effect.fail(onePartError)
          originalName = displayName(part.name)
          return Effect.map(storage.receive(part.content), (file) => void received.push(file))
        }).pipe(Effect.catch((error) => error._tag === "MultipartError" ? fromMultipartError(error) : Effect.fail(error)))
        const decoded = yield* Effect.result(decodeFields(fields, { errors: "all" }))
        const issues = [
          ...(decoded._tag === "Failure" ? decodeIssues(decoded.failure.issue) : []),
          ...(received.length === 0 ? [{ path: ["file"], message: "Missing key" }] : [])
        ]
        if (decoded._tag === "Failure" || received.length === 0) return yield* badFields(issues)
        return { fields: decoded.success, file: received[0]!, originalName }
      })

    /** The item or message an upload attaches to must be the caller's own, and match the purpose. */
    const checkAttachment = Effect.fn("Files.checkAttachment")(function*(caller: Caller, fields: UploadFields) {
      if (fields.item_id !== undefined && fields.purpose !== "item_image") {
        return yield* badFields([{ path: ["item_id"], message: "only with purpose item_image" }])
      }
      if (fields.message_id !== undefined && fields.purpose !== "message_attachment") {
        return yield* badFields([{ path: ["message_id"], message: "only with purpose message_attachment" }])
      }
      if (fields.item_id !== undefined) {
        const provider = yield* repo.itemProvider(fields.item_id)
        if (Option.isNone(provider)) return yield* new NotFound({ message: `No item ${fields.item_id}` })
        if (provider.value !== caller.id) return yield* new Forbidden({ message: "Only the item's provider adds its images" })
      }
      if (fields.message_id !== undefined) {
        const parties = yield* repo.messageParties(fields.message_id)
        if (Option.isNone(parties) || (parties.value.senderId !== caller.id && parties.value.receiverId !== caller.id)) {
          return yield* new NotFound({ message: `No message ${fields.message_id}` })
        }
        if (parties.value.senderId !== caller.id) {
          return yield* new Forbidden({ message: "Only the message's sender attaches files to it" })
        }
      }
    })

    /** The type the bytes say, if it is one the service knows; never the name or the declared type. */
    const detectType = Effect.fn("Files.detectType")(function*(file: Received) {
      const detected = yield* Effect.promise(() => fileTypeFromBuffer(file.head))
      if (detected !== undefined) return Option.some(detected.mime as string)
      return isPlainText(yield* storage.readTemp(file.tempName)) ? Option.some("text/plain") : Option.none()
    })

    const upload = Effect.fn("Files.upload")(function*(
      caller: Caller,
      parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>
    ) {
      const received: Array<Received> = []
      return yield* Effect.gen(function*() {
        const form = yield* receiveForm(parts, received)
        const { fields, file } = form
        if (file.size > UPLOAD_MAX_BYTES) return yield* tooLarge(UPLOAD_MAX_BYTES, "An upload")
        yield* checkAttachment(caller, fields)
        const detected = yield* detectType(file)
        const allowed = allowedTypes[fields.purpose]
        if (Option.isNone(detected) || !allowed.includes(detected.value)) {
          return yield* new UnsupportedMediaType({
            message: `${
              Option.isSome(detected) ? `A ${detected.value} file` : "A file of unknown type"
            } cannot be uploaded as ${fields.purpose}; allowed: ${allowed.join(", ")}`,
            content_type: Option.getOrNull(detected),
            allowed
          })
        }
        const contentType = detected.value
        if (isImage(contentType) && file.size > IMAGE_MAX_BYTES) return yield* tooLarge(IMAGE_MAX_BYTES, "Images")

        const storageName = storage.newName(extensions[contentType]!)
        yield* storage.adopt(file.tempName, storageName)
        const inserted = yield* tx.withTransaction(Effect.gen(function*() {
          const row = yield* repo.insert({
            ownerId: caller.id,
            purpose: fields.purpose,
            contentType,
            size: file.size,
            originalName: form.originalName,
            storageName,
            sha256: file.sha256,
            itemId: fields.item_id ?? null,
            messageId: fields.message_id ?? null
          })
          if (isImage(contentType)) yield* jobs.enqueue(new GenerateThumbnails({ fileId: row.id }))
          return row
        })).pipe(Effect.onError(() => storage.remove(storageName)))
        return {
          id: inserted.id,
          owner_id: caller.id,
          purpose: fields.purpose,
          content_type: contentType,
          size: file.size,
          original_name: form.originalName,
          thumbnails: [],
          created_at: inserted.createdAt.toISOString()
        } satisfies FileView
      }).pipe(Effect.ensuring(Effect.forEach(received, (file) => storage.discard(file.tempName), { discard: true })))
    })

    const visible = Effect.fn("Files.visible")(function*(viewer: Option.Option<Caller>, id: FileId) {
      const row = yield* repo.findLive(id)
      if (Option.isNone(row) || !canSee(row.value, viewer)) return yield* notFound(id)
      return row.value
    })

    const get = Effect.fn("Files.get")(function*(viewer: Option.Option<Caller>, id: FileId) {
      return fileView(yield* visible(viewer, id))
    })

    /** Where the bytes are and how to serve them. */
    const content = Effect.fn("Files.content")(function*(viewer: Option.Option<Caller>, id: FileId) {
      const row = yield* visible(viewer, id)
      return {
        path: storage.pathOf(row.storageName),
        contentType: row.contentType,
        etag: `"${row.sha256 ?? `${row.id}-${row.size}`}"`,
        isPublic: publicPurposes.has(row.accessPurpose),
        downloadName: row.originalName ?? `${row.id}.${extensions[row.contentType] ?? "bin"}`
      }
    })

    /** The owner only: the file answers 404 at once; its bytes go by a job enqueued in the same transaction. */
    const remove = Effect.fn("Files.remove")(function*(caller: Caller, id: FileId) {
      const row = yield* visible(Option.some(caller), id)
      if (row.purpose === "thumbnail") {
        return yield* new Forbidden({ message: "A thumbnail goes with its original; delete that" })
      }
      if (row.ownerId !== caller.id) return yield* new Forbidden({ message: "Only the file's owner deletes it" })
      const deleted = yield* tx.withTransaction(Effect.gen(function*() {
        if (!(yield* repo.markDeleted(id))) return false
        yield* jobs.enqueue(new PurgeFile({ fileId: id }))
        return true
      }))
      if (!deleted) return yield* notFound(id)
    })

    return { upload, get, content, remove }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([FilesRepo.layer, Transactions.layer]))
}

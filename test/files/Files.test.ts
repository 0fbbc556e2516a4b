/**
 * `/files` through the real routes: multipart uploads typed from their bytes,
 * limits, attachment ownership, who sees what, caching headers, thumbnails and
 * deletion — on a cloned database and a temporary `DATA_DIR`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import * as Fs from "node:fs/promises"
import sharp from "sharp"
import { GenerateThumbnails, type Job, PurgeFile } from "../../src/domain/Job.ts"
import { FilesRepo } from "../../src/files/FilesRepo.ts"
import * as FilesJobs from "../../src/files/Jobs.ts"
import { FileStorage } from "../../src/files/Storage.ts"
import type { Task } from "../../src/infra/JobRunner.ts"
import { insertItem } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const MiB = 1024 * 1024

interface Part {
  readonly bytes: Uint8Array
  readonly name?: string
  readonly type?: string
  readonly field?: string
}

/** A multipart request; each file goes under `field` (default `file`) with the name and type the client claims. */
const upload = (fields: Record<string, string>, ...files: ReadonlyArray<Part>) => {
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  for (const file of files) {
    form.append(
      file.field ?? "file",
      new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type ?? "application/octet-stream" }),
      file.name ?? "upload.bin"
    )
  }
  return HttpClientRequest.post("/files").pipe(HttpClientRequest.bodyFormData(form))
}

const png = (width: number, height: number) =>
  Effect.promise(() =>
    sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer())
const jpeg = Effect.promise(() =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 250, g: 200, b: 0 } } }).jpeg().toBuffer())
const pdf = new TextEncoder().encode("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
const text = new TextEncoder().encode("Gate code 4321.\nThe dog is called Maple — she is friendly.\n")
/** Bytes that are neither a known format nor text. */
const binary = Uint8Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256 === 10 ? 0 : (i * 7919) % 256)
/** A PNG signature followed by `size` bytes: typed as PNG from its head. */
const pngOfSize = (size: number) => {
  const bytes = new Uint8Array(size)
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
  return bytes
}

const get = (path: string) => HttpClientRequest.get(path)
const del = (path: string) => HttpClientRequest.delete(path)

const runTask = (job: Job) =>
  Effect.flatMap(FilesJobs.tasks, (tasks: ReadonlyArray<Task>) =>
    tasks.find((t) => t.tag === job._tag)!.handle(job, { jobId: "1", attempt: 1, maxAttempts: 5 })).pipe(
      Effect.provide(FilesRepo.layer)
    )

const pendingJobs = (tag: string, fileId: string) =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`SELECT id FROM jobs WHERE task = ${tag} AND payload->>'fileId' = ${fileId}`
  ).pipe(Effect.map((rows) => rows.length), Effect.orDie)

const storedNames = FileStorage.use((storage) => Effect.promise(() => Fs.readdir(storage.root)))
const tempNames = FileStorage.use((storage) => Effect.promise(() => Fs.readdir(storage.tmp)))

describe("files", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("the type comes from the bytes, never from the name or the declared type", () =>
      Effect.gen(function*() {
        const user = yield* userWithToken("client")
        const image = yield* png(40, 30)
        const created = yield* send(user.as(upload({ purpose: "avatar" }, { bytes: image, name: "me.pdf", type: "application/pdf" })))
        assert.strictEqual(created.status, 201)
        assert.deepStrictEqual(
          [created.body.owner_id, created.body.purpose, created.body.content_type, created.body.size, created.body.original_name, created.body.thumbnails],
          [user.id, "avatar", "image/png", image.length, "me.pdf", []]
        )
        const disguised = yield* send(user.as(upload({ purpose: "avatar" }, { bytes: pdf, name: "x.png", type: "image/png" })))
        assert.deepStrictEqual(
          [disguised.status, disguised.body._tag, disguised.body.content_type, disguised.body.allowed],
          [415, "UnsupportedMediaType", "application/pdf", ["image/jpeg", "image/png", "image/webp"]]
        )
        const document = yield* send(user.as(upload({ purpose: "document" }, { bytes: text, name: "notes.png", type: "image/png" })))
        assert.deepStrictEqual([document.status, document.body.content_type], [201, "text/plain"])
        const unknown = yield* send(user.as(upload({ purpose: "document" }, { bytes: binary, name: "notes.txt", type: "text/plain" })))
        assert.deepStrictEqual([unknown.status, unknown.body._tag, unknown.body.content_type], [415, "UnsupportedMediaType", null])
        const imageAsDocument = yield* send(user.as(upload({ purpose: "document" }, { bytes: yield* jpeg })))
        assert.strictEqual(imageAsDocument.status, 415)
        const attachment = yield* send(user.as(upload({ purpose: "message_attachment" }, { bytes: yield* jpeg })))
        assert.deepStrictEqual([attachment.status, attachment.body.content_type], [201, "image/jpeg"])
        assert.deepStrictEqual(yield* tempNames, [], "no upload is left in the temporary directory")
      }))

    it.effect("images over 5 MiB and anything over 10 MiB → 413; the bytes never reach the store", () =>
      Effect.gen(function*() {
        const user = yield* userWithToken("client")
        const before = yield* storedNames
        const image = yield* send(user.as(upload({ purpose: "avatar" }, { bytes: pngOfSize(5 * MiB + 1) })))
        assert.deepStrictEqual([image.status, image.body._tag, image.body.limit_bytes], [413, "PayloadTooLarge", 5 * MiB])
        const huge = yield* send(user.as(upload({ purpose: "document" }, { bytes: new Uint8Array(10 * MiB + 1).fill(65) })))
        assert.deepStrictEqual([huge.status, huge.body._tag, huge.body.limit_bytes], [413, "PayloadTooLarge", 10 * MiB])
        const declared = yield* send(user.as(HttpClientRequest.post("/files").pipe(
          HttpClientRequest.bodyUint8Array(new Uint8Array(11 * MiB), "multipart/form-data; boundary=x")
        )))
        assert.deepStrictEqual([declared.status, declared.body._tag], [413, "PayloadTooLarge"])
        const exactly = yield* send(user.as(upload({ purpose: "document" }, { bytes: new Uint8Array(10 * MiB).fill(65) })))
        assert.deepStrictEqual([exactly.status, exactly.body.size], [201, 10 * MiB])
        assert.deepStrictEqual((yield* storedNames).length, before.length + 1)
        assert.deepStrictEqual(yield* tempNames, [])
      }))

    it.effect("a bad form → 400 naming the field: purpose, file, one file only, item_id/message_id only with their purpose", () =>
      Effect.gen(function*() {
        const user = yield* userWithToken("provider")
        const image = yield* png(8, 8)
        const noPurpose = yield* send(user.as(upload({}, { bytes: image })))
        assert.deepStrictEqual([noPurpose.status, noPurpose.body._tag, noPurpose.body.issues.map((i: { path: Array<string> }) => i.path[0])], [400, "HttpApiDecodeError", ["purpose"]])
        const badPurpose = yield* send(user.as(upload({ purpose: "thumbnail", item_id: "nope" }, { bytes: image })))
        assert.sameMembers(badPurpose.body.issues.map((i: { path: Array<string> }) => i.path[0]), ["purpose", "item_id"])
        const noFile = yield* send(user.as(upload({ purpose: "avatar" })))
        assert.deepStrictEqual([noFile.status, noFile.body.issues.map((i: { path: Array<string> }) => i.path[0])], [400, ["file"]])
        const two = yield* send(user.as(upload({ purpose: "avatar" }, { bytes: image }, { bytes: image })))
        assert.deepStrictEqual([two.status, two.body._tag], [400, "BadRequest"])
        const wrongField = yield* send(user.as(upload({ purpose: "avatar" }, { bytes: image, field: "picture" })))
        assert.strictEqual(wrongField.status, 400)
        const itemOnAvatar = yield* send(user.as(upload({ purpose: "avatar", item_id: crypto.randomUUID() }, { bytes: image })))
        assert.deepStrictEqual([itemOnAvatar.status, itemOnAvatar.body.issues[0].path], [400, ["item_id"]])
        const anonymous = yield* send(upload({ purpose: "avatar" }, { bytes: image }))
        assert.strictEqual(anonymous.status, 401)
        const truncated = new TextEncoder().encode(
          "--XX\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\navatar\r\n" +
            "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG"
        )
        const cut = yield* send(user.as(HttpClientRequest.post("/files").pipe(
          HttpClientRequest.bodyUint8Array(truncated, "multipart/form-data; boundary=XX")
        )))
        assert.deepStrictEqual([cut.status, cut.body._tag], [400, "BadRequest"])
        const notMultipart = yield* send(user.as(HttpClientRequest.post("/files").pipe(HttpClientRequest.bodyJsonUnsafe({ purpose: "avatar" }))))
        assert.deepStrictEqual(
          [notMultipart.status, notMultipart.body._tag, notMultipart.body.allowed],
          [415, "UnsupportedMediaType", ["multipart/form-data"]]
        )
        assert.deepStrictEqual(yield* tempNames, [])
      }))

    it.effect("item images attach to the caller's own live item; message attachments to a message the caller sent", () =>
      Effect.gen(function*() {
        const provider = yield* userWithToken("provider")
        const other = yield* userWithToken("provider")
        const image = yield* png(16, 16)
        const itemId = yield* insertItem(provider.id, 3)
        const attached = yield* send(provider.as(upload({ purpose: "item_image", item_id: itemId }, { bytes: image })))
        assert.strictEqual(attached.status, 201)
        assert.deepStrictEqual((yield* send(get(`/items/${itemId}`))).body.image_file_ids, [attached.body.id])
        const foreign = yield* send(other.as(upload({ purpose: "item_image", item_id: itemId }, { bytes: image })))
        assert.deepStrictEqual([foreign.status, foreign.body._tag], [403, "Forbidden"])
        const missing = yield* send(provider.as(upload({ purpose: "item_image", item_id: crypto.randomUUID() }, { bytes: image })))
        assert.deepStrictEqual([missing.status, missing.body._tag], [404, "NotFound"])

        const sql = yield* SqlClient
        const receiver = yield* userWithToken("client")
        const [message] = yield* sql<{ id: string }>`
          INSERT INTO messages (sender_id, receiver_id, content) VALUES (${provider.id}, ${receiver.id}, 'Photos of the work') RETURNING id`
        const sent = yield* send(provider.as(upload({ purpose: "message_attachment", message_id: message!.id }, { bytes: pdf })))
        assert.deepStrictEqual([sent.status, sent.body.content_type], [201, "application/pdf"])
        const byReceiver = yield* send(receiver.as(upload({ purpose: "message_attachment", message_id: message!.id }, { bytes: pdf })))
        assert.strictEqual(byReceiver.status, 403)
        const byStranger = yield* send(other.as(upload({ purpose: "message_attachment", message_id: message!.id }, { bytes: pdf })))
        assert.strictEqual(byStranger.status, 404)
        // The other party of the message reads the attachment; nobody else does.
        assert.strictEqual((yield* send(receiver.as(get(`/files/${sent.body.id}/content`)))).status, 200)
        assert.strictEqual((yield* send(other.as(get(`/files/${sent.body.id}`)))).status, 404)
      }))

    it.effect("public files for anyone with long caching; private ones for owner and admin only, revalidated; 304 on If-None-Match", () =>
      Effect.gen(function*() {
        const owner = yield* userWithToken("client")
        const stranger = yield* userWithToken("client")
        const admin = yield* userWithToken("admin")
        const image = yield* png(24, 24)
        const avatar = (yield* send(owner.as(upload({ purpose: "avatar" }, { bytes: image, name: "../../etc/passwd" })))).body
        assert.strictEqual(avatar.original_name, "passwd", "only the last segment of a client path is kept, as metadata")
        assert.isTrue((yield* storedNames).every((name) => /^[0-9a-f-]{36}\.(png|jpg|webp|pdf|txt)$/.test(name)))

        assert.deepStrictEqual((yield* send(get(`/files/${avatar.id}`))).body, avatar)
        const content = yield* send(get(`/files/${avatar.id}/content`))
        assert.strictEqual(content.status, 200)
        assert.strictEqual(content.headers["content-type"], "image/png")
        assert.strictEqual(content.headers["content-length"], String(image.length))
        assert.strictEqual(content.headers["cache-control"], "public, max-age=86400")
        assert.strictEqual(content.headers["content-disposition"], "inline")
        assert.strictEqual(content.headers["x-content-type-options"], "nosniff")
        const etag = content.headers["etag"]!
        assert.match(etag, /^"[0-9a-f]{64}"$/)
        const revalidated = yield* send(get(`/files/${avatar.id}/content`).pipe(HttpClientRequest.setHeader("if-none-match", etag)))
        assert.deepStrictEqual([revalidated.status, revalidated.text], [304, ""])
        const badToken = yield* send(get(`/files/${avatar.id}`).pipe(HttpClientRequest.bearerToken("not-a-token")))
        assert.strictEqual(badToken.status, 401)

        const document = (yield* send(owner.as(upload({ purpose: "document" }, { bytes: text, name: "Gate code.txt" })))).body
        for (const path of [`/files/${document.id}`, `/files/${document.id}/content`]) {
          assert.strictEqual((yield* send(get(path))).status, 404)
          assert.deepStrictEqual((yield* send(stranger.as(get(path)))).body._tag, "NotFound")
          assert.strictEqual((yield* send(admin.as(get(path)))).status, 200)
        }
        const own = yield* send(owner.as(get(`/files/${document.id}/content`)))
        assert.deepStrictEqual(
          [own.status, own.text, own.headers["content-type"], own.headers["cache-control"], own.headers["content-disposition"]],
          [200, new TextDecoder().decode(text), "text/plain", "private, no-cache", "attachment; filename*=UTF-8''Gate%20code.txt"]
        )
        assert.strictEqual((yield* send(get(`/files/${crypto.randomUUID()}`))).status, 404)
        assert.strictEqual((yield* send(get("/files/not-a-uuid"))).status, 400)
      }))

    it.effect("images get a thumbnail job in the upload's transaction; the thumbnails then show and are public", () =>
      Effect.gen(function*() {
        const user = yield* userWithToken("provider")
        const image = (yield* send(user.as(upload({ purpose: "avatar" }, { bytes: yield* png(1024, 640) })))).body
        const document = (yield* send(user.as(upload({ purpose: "document" }, { bytes: pdf })))).body
        assert.strictEqual(yield* pendingJobs("GenerateThumbnails", image.id), 1)
        assert.strictEqual(yield* pendingJobs("GenerateThumbnails", document.id), 0)
        yield* runTask(new GenerateThumbnails({ fileId: image.id }))
        const thumbnails = (yield* send(get(`/files/${image.id}`))).body.thumbnails
        assert.deepStrictEqual(thumbnails.map((t: { size: number }) => t.size), [128, 512])
        const small = yield* send(get(`/files/${thumbnails[0].file_id}/content`))
        assert.deepStrictEqual([small.status, small.headers["content-type"]], [200, "image/webp"])
        assert.strictEqual((yield* send(get(`/files/${thumbnails[0].file_id}`))).body.purpose, "thumbnail")
        const removeThumbnail = yield* send(user.as(del(`/files/${thumbnails[0].file_id}`)))
        assert.strictEqual(removeThumbnail.status, 403)
      }))

    it.effect("only the owner deletes: the file and its thumbnails answer 404 at once, the avatar is unset, a job removes the bytes", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const owner = yield* userWithToken("client")
        const other = yield* userWithToken("client")
        const avatar = (yield* send(owner.as(upload({ purpose: "avatar" }, { bytes: yield* png(600, 600) })))).body
        yield* runTask(new GenerateThumbnails({ fileId: avatar.id }))
        const thumbnailIds = (yield* send(get(`/files/${avatar.id}`))).body.thumbnails.map((t: { file_id: string }) => t.file_id)
        const patched = yield* send(owner.as(HttpClientRequest.patch("/users/me").pipe(HttpClientRequest.bodyJsonUnsafe({ profile_image_file_id: avatar.id }))))
        assert.strictEqual(patched.body.profile_image_file_id, avatar.id)
        const names = yield* sql<{ storageName: string }>`SELECT storage_name FROM files WHERE id = ${avatar.id} OR original_file_id = ${avatar.id}`
        assert.strictEqual(names.length, 3)

        assert.strictEqual((yield* send(other.as(del(`/files/${avatar.id}`)))).status, 403)
        const privateDoc = (yield* send(owner.as(upload({ purpose: "document" }, { bytes: pdf })))).body
        assert.strictEqual((yield* send(other.as(del(`/files/${privateDoc.id}`)))).status, 404)

        assert.strictEqual((yield* send(owner.as(del(`/files/${avatar.id}`)))).status, 204)
        for (const id of [avatar.id, ...thumbnailIds]) assert.strictEqual((yield* send(get(`/files/${id}/content`))).status, 404)
        assert.isNull((yield* send(owner.as(get("/users/me")))).body.profile_image_file_id)
        assert.strictEqual((yield* send(owner.as(del(`/files/${avatar.id}`)))).status, 404)
        assert.strictEqual(yield* pendingJobs("PurgeFile", avatar.id), 1)

        yield* runTask(new PurgeFile({ fileId: avatar.id }))
        yield* runTask(new PurgeFile({ fileId: avatar.id }))
        const stored = new Set(yield* storedNames)
        assert.isTrue(names.every((n) => !stored.has(n.storageName)), "the bytes of the file and its thumbnails are gone")
        const left = yield* sql`SELECT 1 FROM files WHERE id = ${avatar.id} OR original_file_id = ${avatar.id}`
        assert.strictEqual(left.length, 0)
      }))
  })
})

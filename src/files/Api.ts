import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Multipart } from "effect/http"
import { BadRequest, Forbidden, HttpApiDecodeError, NotFound, PayloadTooLarge, UnsupportedMediaType } from "../domain/Errors.ts"
import { Authentication, OptionalAuthentication } from "../users/Authentication.ts"

export const FileId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("FileId"))
export type FileId = typeof FileId.Type

export const UploadPurpose = Schema.Literals(["avatar", "item_image", "message_attachment", "document"])
export type UploadPurpose = typeof UploadPurpose.Type

export const MiB = 1024 * 1024
/** The largest upload of any kind (documents); images are held to `IMAGE_MAX_BYTES` once their type is known. */
export const UPLOAD_MAX_BYTES = 10 * MiB
export const IMAGE_MAX_BYTES = 5 * MiB
/** The parser counts a part's headers toward its size: the exact limits are checked on the received bytes. */
const UPLOAD_PART_MAX_BYTES = UPLOAD_MAX_BYTES + 16 * 1024
/** A whole upload request: the file plus the form's boundaries and small fields. */
export const UPLOAD_REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + 64 * 1024

export const FileView = Schema.Struct({
  id: Schema.String,
  owner_id: Schema.String,
  purpose: Schema.Literals([...UploadPurpose.literals, "thumbnail"]),
  content_type: Schema.String,
  size: Schema.Number,
  original_name: Schema.NullOr(Schema.String),
  thumbnails: Schema.Array(Schema.Struct({ size: Schema.Number, file_id: Schema.String })),
  created_at: Schema.String
})
export type FileView = typeof FileView.Type

/** The form fields of an upload besides `file`; decoded by the handler, which streams the parts itself. */
export const UploadFields = Schema.Struct({
  purpose: UploadPurpose,
  item_id: Schema.optional(Schema.String.check(Schema.isUUID())),
  message_id: Schema.optional(Schema.String.check(Schema.isUUID()))
})
export type UploadFields = typeof UploadFields.Type

const UploadForm = Schema.Struct({ file: Multipart.SingleFileSchema, ...UploadFields.fields }).pipe(
  HttpApiSchema.asMultipartStream({
    maxParts: 8,
    maxFieldSize: 1024,
    maxFileSize: UPLOAD_PART_MAX_BYTES,
    maxTotalSize: UPLOAD_REQUEST_MAX_BYTES
  })
)

export const servedTypes = ["image/jpeg", "image/png", "image/webp", "application/pdf", "text/plain"] as const

export class FilesApi extends HttpApiGroup.make("files")
  .add(
    HttpApiEndpoint.post("upload", "/files", {
      payload: UploadForm,
      success: FileView.pipe(HttpApiSchema.status(201)),
      error: [HttpApiDecodeError, BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType]
    }).middleware(Authentication)
      .annotate(
        OpenApi.Description,
        "Multipart form: `file`, `purpose`, and `item_id` (item images of an item the caller sells) or `message_id` " +
          "(attachments of a message the caller sent). The type is detected from the bytes, never from the name or " +
          "the declared type. Images (JPEG, PNG, WebP) up to 5 MiB for every purpose; PDF and plain text up to 10 MiB " +
          "as documents and message attachments. WebP thumbnails (128 and 512 px) of images appear in `thumbnails` " +
          "once a background job has made them."
      ),
    HttpApiEndpoint.get("get", "/files/:id", {
      params: { id: FileId },
      success: FileView,
      error: NotFound
    }).middleware(OptionalAuthentication)
      .annotate(
        OpenApi.Description,
        "Avatars, item images and their thumbnails are public; other files only for their owner, admins and the " +
          "other party of their message (404 for anyone else)."
      ),
    HttpApiEndpoint.get("content", "/files/:id/content", {
      params: { id: FileId },
      success: HttpApiSchema.StreamUint8Array({ contentType: servedTypes }),
      error: NotFound
    }).middleware(OptionalAuthentication)
      .annotate(
        OpenApi.Description,
        "The bytes, visible as for the metadata, with their detected `Content-Type`, `Content-Length`, a strong " +
          "`ETag` (304 on `If-None-Match`) and `Cache-Control` (public files: a day; others: private, revalidated)."
      ),
    HttpApiEndpoint.delete("remove", "/files/:id", {
      params: { id: FileId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound]
    }).middleware(Authentication)
      .annotate(
        OpenApi.Description,
        "The owner only. The file and its thumbnails answer 404 at once; a background job removes the bytes."
      )
  )
  .annotate(OpenApi.Title, "Files")
{}

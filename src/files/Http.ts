import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { NotFound } from "../domain/Errors.ts"
import { CurrentUser, Viewer } from "../users/Authentication.ts"
import { Files, isImage } from "./Files.ts"

/** `attachment; filename*=UTF-8''…` (RFC 6266): documents download instead of rendering in the page. */
const disposition = (contentType: string, name: string) =>
  isImage(contentType) ? "inline" : `attachment; filename*=UTF-8''${encodeURIComponent(name)}`

/** `If-None-Match` names the current version: `*`, or a list of tags, weak or strong (RFC 9110 §13.1.2). */
const matches = (ifNoneMatch: string | undefined, etag: string) =>
  ifNoneMatch !== undefined &&
  ifNoneMatch.split(",").some((tag) => {
    const candidate = tag.trim()
    return candidate === "*" || candidate === etag || candidate === `W/${etag}`
  })

export const FilesHttp = HttpApiBuilder.group(Api, "files", Effect.fn(function*(handlers) {
  const files = yield* Files
  return handlers
    .handle("upload", ({ payload }) => CurrentUser.use((caller) => files.upload(caller, payload)))
    .handle("get", ({ params }) => Viewer.use((viewer) => files.get(viewer, params.id)))
    .handle("content", ({ params }) =>
      Effect.gen(function*() {
        const file = yield* files.content(yield* Viewer, params.id)
        const headers = {
          etag: file.etag,
          // Bytes never change under an id; private files revalidate so a revoked reader stops at once.
          "cache-control": file.isPublic ? "public, max-age=86400" : "private, no-cache",
          "content-disposition": disposition(file.contentType, file.downloadName)
        }
        const request = yield* HttpServerRequest.HttpServerRequest
        if (matches(request.headers["if-none-match"], file.etag)) return HttpServerResponse.empty({ status: 304, headers })
        const response = yield* HttpServerResponse.file(file.path, { contentType: file.contentType }).pipe(
          Effect.catchTag("PlatformError", () => Effect.fail(new NotFound({ message: `No file ${params.id}` })))
        )
        return HttpServerResponse.setHeaders(response, headers)
      }))
    .handle("remove", ({ params }) => CurrentUser.use((caller) => files.remove(caller, params.id)))
}))

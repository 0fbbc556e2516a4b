/**
 * The error envelope shared by every route: `{ _tag, message, ...fields }`.
 * Feature errors live with their feature; these are the cross-cutting ones
 * (API.md, "Status codes"). Each carries its HTTP status, so an endpoint that
 * declares one documents it in the OpenAPI spec and HttpApi encodes it.
 */
import { Schema, SchemaIssue } from "effect"

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  message: Schema.String
}, { httpApiStatus: 400 }) {}

/** One schema problem of a request: where (`path` within `in`) and what. */
export const DecodeIssue = Schema.Struct({
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  message: Schema.String
})

export type DecodeIssue = typeof DecodeIssue.Type

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1()

/** Each problem a schema found, with its path (`["items", 0, "quantity"]`); how requests and settings name bad input. */
export const decodeIssues = (issue: SchemaIssue.Issue): ReadonlyArray<DecodeIssue> =>
  formatIssue(issue).issues.map((i) => ({
    path: (i.path ?? []).map((segment) => {
      const key = typeof segment === "object" && segment !== null && "key" in segment ? segment.key : segment
      return typeof key === "number" ? key : String(key)
    }),
    message: i.message
  }))

/** `a.b: message; c: message` */
export const summarizeIssues = (issues: ReadonlyArray<DecodeIssue>) =>
  issues.map((i) => i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message).join("; ")

export class HttpApiDecodeError extends Schema.TaggedError<HttpApiDecodeError>()("HttpApiDecodeError", {
  message: Schema.String,
  in: Schema.Literals(["path", "query", "headers", "body"]),
  issues: Schema.Array(DecodeIssue)
}, { httpApiStatus: 400 }) {}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}, { httpApiStatus: 401 }) {}

export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String
}, { httpApiStatus: 403 }) {}

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}, { httpApiStatus: 404 }) {}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  message: Schema.String,
  limit_bytes: Schema.Number
}, { httpApiStatus: 413 }) {}

/** 415: the body (or an upload's bytes) is of a type the route does not take; `allowed` lists what it takes. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", {
  message: Schema.String,
  content_type: Schema.NullOr(Schema.String),
  allowed: Schema.Array(Schema.String)
}, { httpApiStatus: 415 }) {}

export class InternalServerError extends Schema.TaggedError<InternalServerError>()("InternalServerError", {
  message: Schema.String,
  request_id: Schema.String
}, { httpApiStatus: 500 }) {}

export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", {
  message: Schema.String
}, { httpApiStatus: 503 }) {}

/** A state change that the resource's current state does not allow (409). */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/** 409: an `Idempotency-Key` already used by this user with another request body. */
export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/** 429: too many attempts; `Retry-After` (and `retry_after_s`) say when to try again. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  message: Schema.String,
  retry_after_s: Schema.Number
}, { httpApiStatus: 429 }) {}

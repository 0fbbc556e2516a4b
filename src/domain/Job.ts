/**
 * Job payloads: what a background task needs to do its work, as imperative
 * `Schema.TaggedClass`es. A payload is stored as JSON with its `_tag` as the
 * task name; one that no longer decodes (the class changed under a queued
 * job) fails permanently instead of retrying forever.
 */
import { Schema } from "effect"

/** The worker pools a job can run on, each with its own concurrency. */
export const QueueName = Schema.Literals(["email", "sms", "notifications", "files", "cleanup", "default"])
export type QueueName = typeof QueueName.Type
export const queueNames: ReadonlyArray<QueueName> = QueueName.literals

const Variables = Schema.Record(Schema.String, Schema.String)

export const EmailTemplate = Schema.Literals([
  "welcome",
  "email_verification",
  "password_reset",
  "booking_request",
  "booking_accepted",
  "booking_canceled",
  "booking_reminder",
  "order_confirmation",
  "payment_receipt",
  "daily_report"
])
export type EmailTemplate = typeof EmailTemplate.Type

export const SmsTemplate = Schema.Literals([
  "verification_code",
  "booking_confirmation",
  "booking_reminder",
  "payment_confirmation"
])
export type SmsTemplate = typeof SmsTemplate.Type

/** A no-op: queue probes, tests and benchmarks. */
export class Ping extends Schema.TaggedClass<Ping>()("Ping", { id: Schema.String }) {}

/** Template variables as the JSON text `SendEmail.sealed` seals. */
export const SealedVariables = Schema.fromJsonString(Variables)

/**
 * One email rendered from a template. `sealed`: more variables, sealed
 * (`PayloadSeal`) because only the recipient may read them — one-time tokens
 * and the links carrying them — so the stored payload holds ciphertext.
 */
export class SendEmail extends Schema.TaggedClass<SendEmail>()("SendEmail", {
  to: Schema.String,
  template: EmailTemplate,
  variables: Variables,
  sealed: Schema.optional(Schema.String)
}) {}

export class SendSms extends Schema.TaggedClass<SendSms>()("SendSms", {
  to: Schema.String,
  template: SmsTemplate,
  variables: Variables
}) {}

/** Deliver a stored notification in-app and by the channels its user's preferences allow. */
export class DeliverNotification extends Schema.TaggedClass<DeliverNotification>()("DeliverNotification", {
  notificationId: Schema.String
}) {}

/** Remind both parties of an accepted booking a day before it starts (dropped by its key when the booking is canceled). */
export class RemindBooking extends Schema.TaggedClass<RemindBooking>()("RemindBooking", {
  bookingId: Schema.String
}) {}

export class GenerateThumbnails extends Schema.TaggedClass<GenerateThumbnails>()("GenerateThumbnails", {
  fileId: Schema.String
}) {}

/** Remove the bytes and rows of a deleted file and its thumbnails. */
export class PurgeFile extends Schema.TaggedClass<PurgeFile>()("PurgeFile", {
  fileId: Schema.String
}) {}

export class CleanupTempFiles extends Schema.TaggedClass<CleanupTempFiles>()("CleanupTempFiles", {
  olderThanHours: Schema.Number
}) {}

export class BackupDatabase extends Schema.TaggedClass<BackupDatabase>()("BackupDatabase", {
  keep: Schema.Number
}) {}

export class PurgeExpiredTokens extends Schema.TaggedClass<PurgeExpiredTokens>()("PurgeExpiredTokens", {}) {}

export class PurgeExpiredIdempotencyKeys
  extends Schema.TaggedClass<PurgeExpiredIdempotencyKeys>()("PurgeExpiredIdempotencyKeys", {})
{}

/** Notifications past `notificationDays` and finished jobs past `jobDays`. */
export class PurgeOldRecords extends Schema.TaggedClass<PurgeOldRecords>()("PurgeOldRecords", {
  notificationDays: Schema.Number,
  jobDays: Schema.Number
}) {}

/** Aggregates for one UTC day (`YYYY-MM-DD`), stored and emailed to the admins. */
export class GenerateDailyReport extends Schema.TaggedClass<GenerateDailyReport>()("GenerateDailyReport", {
  date: Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/))
}) {}

/** Pending bookings not accepted within `afterHours` are canceled. */
export class ExpireStaleBookings extends Schema.TaggedClass<ExpireStaleBookings>()("ExpireStaleBookings", {
  afterHours: Schema.Number
}) {}

/** Held payments are released `afterHours` after their booking completed or order was delivered. */
export class ReleaseHeldPayments extends Schema.TaggedClass<ReleaseHeldPayments>()("ReleaseHeldPayments", {
  afterHours: Schema.Number
}) {}

export const Job = Schema.Union([
  Ping,
  SendEmail,
  SendSms,
  DeliverNotification,
  RemindBooking,
  GenerateThumbnails,
  PurgeFile,
  CleanupTempFiles,
  BackupDatabase,
  PurgeExpiredTokens,
  PurgeExpiredIdempotencyKeys,
  PurgeOldRecords,
  GenerateDailyReport,
  ExpireStaleBookings,
  ReleaseHeldPayments
])
export type Job = typeof Job.Type
export type JobTag = Job["_tag"]

/** Where each task runs unless the enqueuer says otherwise. */
export const defaultQueue: { readonly [K in JobTag]: QueueName } = {
  Ping: "default",
  SendEmail: "email",
  SendSms: "sms",
  DeliverNotification: "notifications",
  RemindBooking: "notifications",
  GenerateThumbnails: "files",
  PurgeFile: "files",
  CleanupTempFiles: "files",
  BackupDatabase: "cleanup",
  PurgeExpiredTokens: "cleanup",
  PurgeExpiredIdempotencyKeys: "cleanup",
  PurgeOldRecords: "cleanup",
  GenerateDailyReport: "cleanup",
  ExpireStaleBookings: "cleanup",
  ReleaseHeldPayments: "cleanup"
}

import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { UserId } from "../domain/User.ts"
import { Authentication } from "../users/Authentication.ts"

export const NotificationId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("NotificationId"))
export type NotificationId = typeof NotificationId.Type

export const NotificationType = Schema.Literals([
  "booking_request", "booking_accepted", "booking_completed", "booking_canceled", "booking_reminder",
  "message_received", "payment_received", "payment_released", "review_reminder", "order_update"
])
export type NotificationType = typeof NotificationType.Type
export const NotificationChannel = Schema.Literals(["in_app", "email", "sms"])

export const NotificationView = Schema.Struct({
  id: Schema.String,
  type: NotificationType,
  content: Schema.String,
  channel: NotificationChannel,
  status: Schema.Literals(["unread", "read"]),
  created_at: Schema.String
})
export type NotificationView = typeof NotificationView.Type

export const Preferences = Schema.Struct({
  notify_on_new_message: Schema.Boolean,
  notify_on_booking_update: Schema.Boolean,
  notify_on_payment: Schema.Boolean,
  notify_on_review_reminder: Schema.Boolean,
  notify_by_email: Schema.Boolean,
  notify_by_sms: Schema.Boolean
})
export type Preferences = typeof Preferences.Type

export const NewNotification = Schema.Struct({
  user_id: UserId,
  type: NotificationType,
  content: Schema.Trim.pipe(Schema.check(
    Schema.isMinLength(1, { message: "not blank" }),
    Schema.isMaxLength(2000, { message: "at most 2000 characters" })
  )),
  channel: NotificationChannel
})
export type NewNotification = typeof NewNotification.Type

export const DeliveryView = Schema.Struct({
  channel: NotificationChannel,
  status: Schema.Literals(["sent", "failed"]),
  attempt: Schema.Number,
  error: Schema.NullOr(Schema.String),
  created_at: Schema.String
})

export class NotificationsApi extends HttpApiGroup.make("notifications")
  .add(
    HttpApiEndpoint.get("list", "/notifications", {
      query: { status: Schema.optional(Schema.Literals(["unread", "read"])), ...PageQuery },
      success: Page(NotificationView),
      error: BadRequest
    }).annotate(OpenApi.Description, "The caller's notifications, newest first."),
    HttpApiEndpoint.post("readAll", "/notifications/read-all", {
      success: HttpApiSchema.NoContent
    }).annotate(OpenApi.Description, "Marks every unread notification of the caller read."),
    HttpApiEndpoint.get("preferences", "/notifications/preferences", {
      success: Preferences
    }).annotate(OpenApi.Description, "Defaults until set: messages and booking updates on, payments and review reminders off; email on, SMS off."),
    HttpApiEndpoint.put("setPreferences", "/notifications/preferences", {
      payload: Preferences,
      success: Preferences
    }).annotate(OpenApi.Description, "Replaces all six preferences."),
    HttpApiEndpoint.post("create", "/notifications", {
      payload: NewNotification,
      success: NotificationView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, NotFound]
    }).annotate(OpenApi.Description, "Admins: a notification to a user, delivered in-app and on `channel` by a background job."),
    HttpApiEndpoint.post("read", "/notifications/:id/read", {
      params: { id: NotificationId },
      success: HttpApiSchema.NoContent,
      error: NotFound
    }).annotate(OpenApi.Description, "The owner only (anyone else 404)."),
    HttpApiEndpoint.get("deliveries", "/notifications/:id/deliveries", {
      params: { id: NotificationId },
      success: Schema.Array(DeliveryView),
      error: [Forbidden, NotFound]
    }).annotate(OpenApi.Description, "Admins: every delivery attempt of a notification, oldest first.")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Notifications")
{}

import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BookingId } from "../bookings/Api.ts"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { UserId } from "../domain/User.ts"
import { PublicUserView } from "../users/Api.ts"
import { Authentication } from "../users/Authentication.ts"

export const MessageId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("MessageId"))
export type MessageId = typeof MessageId.Type

export const MessageView = Schema.Struct({
  id: Schema.String,
  sender_id: Schema.String,
  receiver_id: Schema.String,
  booking_id: Schema.NullOr(Schema.String),
  content: Schema.String,
  read_at: Schema.NullOr(Schema.String),
  created_at: Schema.String
})
export type MessageView = typeof MessageView.Type

export const NewMessage = Schema.Struct({
  receiver_id: UserId,
  content: Schema.Trim.pipe(Schema.check(
    Schema.isMinLength(1, { message: "not blank" }),
    Schema.isMaxLength(5000, { message: "at most 5000 characters" })
  )),
  booking_id: Schema.optional(BookingId)
})
export type NewMessage = typeof NewMessage.Type

export class MessagesApi extends HttpApiGroup.make("messages")
  .add(
    HttpApiEndpoint.post("send", "/messages", {
      payload: NewMessage,
      success: MessageView.pipe(HttpApiSchema.status(201)),
      error: [BadRequest, Forbidden, NotFound]
    }).annotate(
      OpenApi.Description,
      "To another active user; with `booking_id`, both must be its participants (403). The receiver is notified " +
        "(`message_received`) as their preferences allow."
    ),
    HttpApiEndpoint.get("conversations", "/messages/conversations", {
      success: Schema.Array(Schema.Struct({ user: PublicUserView, last_message: MessageView, unread_count: Schema.Number }))
    }).annotate(OpenApi.Description, "One entry per person the caller has messages with, latest first, with the caller's unread count."),
    HttpApiEndpoint.get("direct", "/messages/direct/:user_id", {
      params: { user_id: UserId },
      query: PageQuery,
      success: Page(MessageView),
      error: BadRequest
    }).annotate(OpenApi.Description, "The thread between the caller and that user, newest first."),
    HttpApiEndpoint.get("booking", "/messages/booking/:booking_id", {
      params: { booking_id: BookingId },
      query: PageQuery,
      success: Page(MessageView),
      error: [BadRequest, NotFound]
    }).annotate(OpenApi.Description, "Messages about a booking, for its participants, newest first."),
    HttpApiEndpoint.post("read", "/messages/:id/read", {
      params: { id: MessageId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound]
    }).annotate(OpenApi.Description, "The receiver marks a message read (the first read time stays).")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Messages")
{}

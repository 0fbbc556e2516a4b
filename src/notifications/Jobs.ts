/**
 * Delivery tasks: emails and SMS from templates, and the fan-out of a stored
 * notification to the channels its user's preferences allow. Each delivery
 * attempt is recorded, and a retry re-sends only the channels that failed.
 */
import { Data, Effect, Exit, Option, Result, Schema } from "effect"
import { DeliverNotification, SealedVariables, SendEmail, SendSms } from "../domain/Job.ts"
import * as JobRunner from "../infra/JobRunner.ts"
import { Mailer } from "../infra/Mailer.ts"
import { PayloadSeal } from "../infra/Secrets.ts"
import { SmsSender } from "../infra/SmsSender.ts"
import { type Channel, type DeliveryTarget, NotificationsRepo } from "./NotificationsRepo.ts"
import { renderEmail, renderNotificationEmail, renderSms } from "./Templates.ts"

const decodeSealed = Schema.decodeUnknownExit(SealedVariables)

/** Whether the user's preferences let this type of notification leave the app. */
const wanted = (target: DeliveryTarget) => {
  if (target.type === "message_received") return target.notifyOnNewMessage
  if (target.type.startsWith("booking_") || target.type === "order_update") return target.notifyOnBookingUpdate
  if (target.type.startsWith("payment_")) return target.notifyOnPayment
  if (target.type === "review_reminder") return target.notifyOnReviewReminder
  return false
}

/** The channels to deliver on: in-app always; email and SMS by preference, or when the notification names them. */
export const channelsFor = (target: DeliveryTarget): ReadonlyArray<Channel> => {
  const outside = wanted(target)
  const channels: Array<Channel> = ["in_app"]
  if (target.channel === "email" || (outside && target.notifyByEmail)) channels.push("email")
  if ((target.channel === "sms" || (outside && target.notifyBySms)) && target.phoneNumber !== null) channels.push("sms")
  return channels
}

/** Some channel failed; the retry delivers only those that did. */
export class DeliveryFailed extends Data.TaggedError("DeliveryFailed")<{ readonly message: string }> {}

export const tasks = Effect.gen(function*() {
  const mailer = yield* Mailer
  const sms = yield* SmsSender
  const repo = yield* NotificationsRepo
  const payloadSeal = yield* PayloadSeal

  const sendEmail = JobRunner.task(SendEmail, (job) => {
    const sealed = openSealed(job)
    if (Result.isFailure(sealed)) return Effect.fail(new JobRunner.PermanentJobFailure({ message: sealed.failure }))
    const rendered = renderEmail(job.template, { ...job.variables, ...sealed.success })
    if (rendered._tag === "Missing") {
      return Effect.fail(new JobRunner.PermanentJobFailure({ message: `email ${job.template} lacks ${rendered.names.join(", ")}` }))
    }
    return Effect.asVoid(mailer.send({ to: job.to, ...rendered.value }))
  })

  /** The email's sealed variables, opened; a seal that does not open will not open on a retry either. */
  const openSealed = (job: SendEmail): Result.Result<Record<string, string>, string> => {
    if (job.sealed === undefined) return Result.succeed({})
    const opened = payloadSeal.open(job.sealed)
    if (Result.isFailure(opened)) return Result.fail(`email ${job.template}: its sealed variables do not open (${opened.failure})`)
    const variables = decodeSealed(opened.success)
    return Exit.isSuccess(variables) ? Result.succeed(variables.value) : Result.fail(`email ${job.template}: its sealed variables are not template variables`)
  }

  const sendSms = JobRunner.task(SendSms, (job) => {
    const rendered = renderSms(job.template, job.variables)
    if (rendered._tag === "Missing") {
      return Effect.fail(new JobRunner.PermanentJobFailure({ message: `SMS ${job.template} lacks ${rendered.names.join(", ")}` }))
    }
    return sms.send({ to: job.to, body: rendered.value }).pipe(
      Effect.mapError((error) => error.rejected ? new JobRunner.PermanentJobFailure({ message: error.message }) : error),
      Effect.asVoid
    )
  })

  const deliver = (target: DeliveryTarget, channel: Channel): Effect.Effect<void, unknown> => {
    switch (channel) {
      case "in_app":
        return Effect.void
      case "email":
        return Effect.asVoid(mailer.send({
          to: target.email,
          ...renderNotificationEmail(target.type, target.userName, target.content)
        }))
      case "sms":
        return Effect.asVoid(sms.send({ to: target.phoneNumber ?? "", body: `MapleHustle: ${target.content}` }))
    }
  }

  const deliverNotification = JobRunner.task(DeliverNotification, (job, context) =>
    Effect.gen(function*() {
      const found = yield* repo.findDeliveryTarget(job.notificationId)
      if (Option.isNone(found)) return yield* Effect.logInfo(`notification ${job.notificationId} is gone; nothing to deliver`)
      const target = found.value
      if (!target.active) return yield* Effect.logInfo(`notification ${job.notificationId}: user inactive; not delivered`)
      const sent = yield* repo.sentChannels(target.id)
      const failures: Array<string> = []
      for (const channel of channelsFor(target)) {
        if (sent.has(channel)) continue
        const exit = yield* Effect.exit(deliver(target, channel))
        const error = exit._tag === "Success" ? null : errorText(exit.cause)
        yield* repo.recordDelivery({ notificationId: target.id, channel, attempt: context.attempt, error })
        if (error !== null) failures.push(`${channel}: ${error}`)
      }
      if (failures.length > 0) return yield* new DeliveryFailed({ message: failures.join("; ") })
    }))

  return [sendEmail, sendSms, deliverNotification]
})

const errorText = (cause: unknown) => {
  const text = String(cause)
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

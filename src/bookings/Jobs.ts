/**
 * The day-before reminder of an accepted booking, for both parties. Scheduled
 * on accept and canceled by its key with the booking; a reminder that runs
 * anyway (the cancel raced it) finds the booking no longer accepted and sends
 * nothing.
 */
import { Effect, Option } from "effect"
import { RemindBooking } from "../domain/Job.ts"
import * as JobRunner from "../infra/JobRunner.ts"
import { Transactions } from "../infra/Sql.ts"
import { Notifier } from "../notifications/Notifier.ts"
import type { BookingId } from "./Api.ts"
import { BookingsRepo } from "./BookingsRepo.ts"

export const tasks = Effect.gen(function*() {
  const repo = yield* BookingsRepo
  const { notify } = yield* Notifier
  const tx = yield* Transactions

  const remind = JobRunner.task(RemindBooking, (job) =>
    tx.withTransaction(Effect.gen(function*() {
      const found = yield* repo.findById(job.bookingId as BookingId)
      if (Option.isNone(found) || found.value.status !== "accepted") return
      const booking = found.value
      yield* notify(
        [booking.clientId, booking.providerId],
        "booking_reminder",
        `Reminder: ${booking.serviceTitle} starts ${booking.startAt.toISOString()}.`
      )
    })))

  return [remind]
})

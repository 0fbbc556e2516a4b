/**
 * Bookings: a client books a provider's service for a window inside one of
 * the provider's availability slots. The rules of API.md are checked in their
 * order; the one that matters most under concurrency — no two open bookings
 * of a provider overlap — is the database's exclusion constraint. State
 * changes follow one transition table, each applied by a conditional UPDATE,
 * and every change writes its history row, notifications and jobs in the
 * same transaction.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import { Forbidden, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { RemindBooking } from "../domain/Job.ts"
import { keysetPage } from "../domain/Page.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import { CurrentRequestId } from "../infra/RequestId.ts"
import { Transactions } from "../infra/Sql.ts"
import { serviceView } from "../listings/Services.ts"
import { ServicesRepo } from "../listings/ServicesRepo.ts"
import type { NotificationType } from "../notifications/Api.ts"
import { Notifier } from "../notifications/Notifier.ts"
import type { Caller } from "../users/Authentication.ts"
import { publicUserView } from "../users/Users.ts"
import { UsersRepo } from "../users/UsersRepo.ts"
import {
  type BookingId,
  type BookingRule,
  BookingRuleViolation,
  type BookingDetailView,
  type BookingStatus,
  type BookingView,
  type NewBooking
} from "./Api.ts"
import { type BookingContext, type BookingRow, BookingsRepo } from "./BookingsRepo.ts"

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** A record a booking names is never deleted for good (soft deletes, foreign keys): its absence is a defect. */
const existing = (kind: string, id: string) => <A>(row: Option.Option<A>): Effect.Effect<A> =>
  Option.isSome(row) ? Effect.succeed(row.value) : Effect.die(`${kind} ${id} of a booking is missing`)

export const bookingView = (row: BookingRow): BookingView => ({
  id: row.id,
  client_id: row.clientId,
  provider_id: row.providerId,
  service_id: row.serviceId,
  start_at: row.startAt.toISOString(),
  end_at: row.endAt.toISOString(),
  status: row.status,
  total_amount: row.totalAmount,
  platform_fee: row.platformFee,
  currency: row.currency,
  notes: row.notes,
  cancellation_reason: row.cancellationReason,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString()
})

/** Services done at the client's place: the provider must live in the same province. */
const localTypes: ReadonlySet<string> = new Set(["house_sitting", "lawn_maintenance", "house_cleaning"])

const ruleMessages: { readonly [R in BookingRule]: string } = {
  service_unavailable: "The service is not available for booking",
  provider_not_verified: "The provider is not active and verified",
  outside_availability: "The window is not inside one of the provider's availability slots",
  too_soon: "Bookings start at least 2 hours from now",
  too_far: "Bookings start at most 180 days from now",
  too_short: "Bookings last at least 30 minutes",
  too_long: "Bookings last at most 12 hours",
  province_mismatch: "This service is done at your place: the provider must be in your province"
}

/** The first rule of API.md's list that the request breaks, if any. */
export const brokenRule = (context: BookingContext, start: Date, end: Date, now: number): Option.Option<BookingRule> => {
  const length = end.getTime() - start.getTime()
  const ahead = start.getTime() - now
  const checks: ReadonlyArray<readonly [BookingRule, boolean]> = [
    ["service_unavailable", context.serviceLive],
    ["provider_not_verified", context.providerActive && context.providerApproved],
    ["outside_availability", context.insideSlot],
    ["too_soon", ahead >= 2 * HOUR],
    ["too_far", ahead <= 180 * DAY],
    ["too_short", length >= 30 * MINUTE],
    ["too_long", length <= 12 * HOUR],
    ["province_mismatch", !localTypes.has(context.serviceType) || context.clientProvince === context.providerProvince]
  ]
  return Option.fromNullishOr(checks.find(([, holds]) => !holds)?.[0])
}

type Action = "accept" | "complete" | "cancel"
type Party = "client" | "provider" | "admin"

interface Transition {
  readonly from: ReadonlyArray<BookingStatus>
  readonly to: BookingStatus
  readonly actors: ReadonlyArray<Party>
  /** The provider completes only once the booking has started; an admin at any time. */
  readonly startedOnly: (party: Party) => boolean
  readonly notification: NotificationType
  readonly describe: (title: string, start: Date) => string
}

/** The state machine of API.md: who may move a booking from where to where. */
export const transitions: { readonly [A in Action]: Transition } = {
  accept: {
    from: ["pending"],
    to: "accepted",
    actors: ["provider"],
    startedOnly: () => false,
    notification: "booking_accepted",
    describe: (title, start) => `Your booking for ${title} on ${start.toISOString()} was accepted.`
  },
  complete: {
    from: ["accepted"],
    to: "completed",
    actors: ["provider", "admin"],
    startedOnly: (party) => party !== "admin",
    notification: "booking_completed",
    describe: (title, start) => `Your booking for ${title} on ${start.toISOString()} is complete.`
  },
  cancel: {
    from: ["pending", "accepted"],
    to: "canceled",
    actors: ["client", "provider", "admin"],
    startedOnly: () => false,
    notification: "booking_canceled",
    describe: (title, start) => `The booking for ${title} on ${start.toISOString()} was canceled.`
  }
}

const partyOf = (caller: Caller, booking: BookingRow): Option.Option<Party> =>
  caller.role === "admin"
    ? Option.some("admin")
    : caller.id === booking.clientId
    ? Option.some("client")
    : caller.id === booking.providerId
    ? Option.some("provider")
    : Option.none()

export const reminderKey = (id: BookingId) => `booking-reminder:${id}`

export class Bookings extends Context.Service<Bookings>()("maplehustle/bookings/Bookings", {
  make: Effect.gen(function*() {
    const repo = yield* BookingsRepo
    const services = yield* ServicesRepo
    const users = yield* UsersRepo
    const tx = yield* Transactions
    const jobs = yield* JobQueue
    const { notify } = yield* Notifier
    const notFound = (id: BookingId) => new NotFound({ message: `No booking ${id}` })
    const invalid = (status: BookingStatus, to: BookingStatus) =>
      new InvalidTransition({ message: `A ${status} booking cannot be ${to}` })

    const create = Effect.fn("Bookings.create")(function*(caller: Caller, request: NewBooking) {
      if (caller.role !== "client") return yield* new Forbidden({ message: "Only clients book services" })
      const start = new Date(request.start_at)
      const end = new Date(request.end_at)
      const found = yield* repo.context({ serviceId: request.service_id, clientId: caller.id, start, end })
      if (Option.isNone(found)) return yield* new NotFound({ message: `No service ${request.service_id}` })
      const context = found.value
      const broken = brokenRule(context, start, end, yield* Clock.currentTimeMillis)
      if (Option.isSome(broken)) {
        return yield* new BookingRuleViolation({ rule: broken.value, message: ruleMessages[broken.value] })
      }
      const requestId = yield* CurrentRequestId
      const row = yield* tx.withTransaction(Effect.gen(function*() {
        const row = yield* repo.insert({
          clientId: caller.id,
          providerId: context.providerId,
          serviceId: request.service_id,
          start,
          end,
          notes: request.notes ?? null
        })
        yield* repo.recordHistory({ bookingId: row.id, actorId: caller.id, actorRole: "client", from: null, to: "pending", requestId })
        yield* notify([context.providerId], "booking_request", `New booking request for ${context.serviceTitle} on ${start.toISOString()}.`)
        return row
      }))
      return bookingView(row)
    })

    /** A booking the caller may see, and the caller's part in it. */
    const visible = (caller: Caller, id: BookingId) =>
      Effect.gen(function*() {
        const row = yield* repo.findById(id)
        const party = Option.flatMap(row, (booking) => partyOf(caller, booking))
        if (Option.isNone(row) || Option.isNone(party)) return yield* notFound(id)
        return { booking: row.value, party: party.value }
      })

    /**
     * A booking with its service, client and provider, deleted ones included
     * (the booking outlives them). Three batched lookups: details of many
     * bookings made concurrently cost one statement for the services and one
     * for the users.
     */
    const detail = (booking: BookingRow): Effect.Effect<BookingDetailView> =>
      Effect.map(
        Effect.all([
          Effect.flatMap(services.findAnyById(booking.serviceId), existing("service", booking.serviceId)),
          Effect.flatMap(users.findAnyById(booking.clientId), existing("user", booking.clientId)),
          Effect.flatMap(users.findAnyById(booking.providerId), existing("user", booking.providerId))
        ], { concurrency: "unbounded" }),
        ([service, client, provider]) => ({
          ...bookingView(booking),
          service: serviceView(service),
          client: publicUserView(client),
          provider: publicUserView(provider)
        })
      )

    const get = Effect.fn("Bookings.get")(function*(caller: Caller, id: BookingId) {
      return yield* detail((yield* visible(caller, id)).booking)
    })

    const list = Effect.fn("Bookings.list")(function*(caller: Caller, query: {
      readonly role?: "client" | "provider" | undefined
      readonly status?: BookingStatus | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const side = query.role ?? (caller.role === "provider" ? "provider" : "client")
      return yield* keysetPage(
        query,
        (after, limit) => repo.list({ userId: caller.id, side, status: query.status, after, limit }),
        bookingView,
        (row) => [row.createdAtKey, row.id]
      )
    })

    const apply = (action: Action) =>
      Effect.fn(`Bookings.${action}`)(function*(caller: Caller, id: BookingId, reason?: string) {
        const rule = transitions[action]
        const { booking, party } = yield* visible(caller, id)
        if (!rule.actors.includes(party)) {
          return yield* new Forbidden({ message: `The ${party} of a booking cannot ${action} it` })
        }
        // Applied to the state the caller saw: if another change lands first, this one fails (409) rather than
        // acting on a booking the caller did not look at (an accept racing a cancel: one of them wins).
        if (!rule.from.includes(booking.status)) return yield* invalid(booking.status, rule.to)
        const requestId = yield* CurrentRequestId
        const changed = yield* tx.withTransaction(Effect.gen(function*() {
          const row = yield* repo.transition({
            id,
            from: [booking.status],
            to: rule.to,
            startedOnly: rule.startedOnly(party),
            reason: reason ?? null
          })
          if (Option.isNone(row)) return row
          const updated = row.value
          yield* repo.recordHistory({ bookingId: id, actorId: caller.id, actorRole: party, from: booking.status, to: rule.to, requestId })
          const others = [updated.clientId, updated.providerId].filter((user) => user !== caller.id)
          yield* notify(others, rule.notification, rule.describe(updated.serviceTitle, updated.startAt))
          if (rule.to === "accepted") {
            const remindAt = updated.startAt.getTime() - DAY
            if (remindAt > (yield* Clock.currentTimeMillis)) {
              yield* jobs.enqueue(new RemindBooking({ bookingId: id }), { runAt: new Date(remindAt), key: reminderKey(id) })
            }
          }
          if (rule.to === "canceled") yield* jobs.cancelByKey(reminderKey(id))
          return row
        }))
        if (Option.isNone(changed)) {
          const current = Option.getOrUndefined(yield* repo.findById(id))
          if (current?.status === booking.status) {
            return yield* new InvalidTransition({ message: `The booking cannot be ${rule.to} before it starts` })
          }
          return yield* invalid(current?.status ?? booking.status, rule.to)
        }
        return bookingView(changed.value)
      })

    return { create, get, detail, list, accept: apply("accept"), complete: apply("complete"), cancel: apply("cancel") }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(
    Layer.provide([BookingsRepo.layer, ServicesRepo.layer, UsersRepo.layer, Notifier.layer, Transactions.layer])
  )
}

/**
 * Composite reads: an account and a service with everything around them.
 *
 * Written as plain domain code over batched lookups: each level of the
 * relation tree is one concurrent wave of lookups, so the statements are a
 * constant (one per resolver touched) and the sequential round trips equal the
 * tree's depth, whatever the number of bookings, orders or reviews.
 */
import { Context, Effect, Layer, Option } from "effect"
import { Bookings, bookingView } from "../bookings/Bookings.ts"
import { BookingsRepo } from "../bookings/BookingsRepo.ts"
import { Forbidden, NotFound } from "../domain/Errors.ts"
import { Cache } from "../infra/Cache.ts"
import type { UserId } from "../domain/User.ts"
import type { ServiceId } from "../listings/Api.ts"
import { Tags } from "../listings/CachedReads.ts"
import { serviceView } from "../listings/Services.ts"
import { type ServiceRow, ServicesRepo } from "../listings/ServicesRepo.ts"
import { messageView } from "../messages/Messages.ts"
import { MessagesRepo } from "../messages/MessagesRepo.ts"
import { orderView } from "../orders/Orders.ts"
import { OrdersRepo } from "../orders/OrdersRepo.ts"
import { paymentView } from "../payments/Payments.ts"
import { PaymentsRepo } from "../payments/PaymentsRepo.ts"
import { reviewView } from "../reviews/Reviews.ts"
import { ReviewsRepo } from "../reviews/ReviewsRepo.ts"
import type { Caller } from "../users/Authentication.ts"
import { publicUserView, userView } from "../users/Users.ts"
import { UsersRepo } from "../users/UsersRepo.ts"
import { ServiceOverview, type UserOverview } from "./Api.ts"

const concurrently = { concurrency: "unbounded" } as const

export class Overviews extends Context.Service<Overviews>()("maplehustle/overviews/Overviews", {
  make: Effect.gen(function*() {
    const bookings = yield* Bookings
    const bookingsRepo = yield* BookingsRepo
    const users = yield* UsersRepo
    const services = yield* ServicesRepo
    const orders = yield* OrdersRepo
    const payments = yield* PaymentsRepo
    const messages = yield* MessagesRepo
    const reviews = yield* ReviewsRepo
    const cache = yield* Cache

    /**
     * Two waves: what the account holds (its services, bookings, orders and
     * messages, by the user's id), then every user and service those name,
     * the account's own user among them, and the orders' payments.
     */
    const user = Effect.fn("Overviews.user")(function*(caller: Caller, id: UserId) {
      if (caller.id !== id && caller.role !== "admin") {
        return yield* new Forbidden({ message: "Only the user themselves or an admin may read this overview" })
      }
      const [offered, booked, ordered, recent] = yield* Effect.all([
        services.byProvider(id),
        bookingsRepo.byParticipant(id),
        orders.byClient(id),
        messages.recentOf(id)
      ], concurrently)
      const [account, detailed, withPayments] = yield* Effect.all([
        users.findAnyById(id),
        Effect.forEach(booked, bookings.detail, concurrently),
        Effect.forEach(ordered, (order) =>
          Effect.map(payments.byOrder(order.id), (attempts) => ({ ...orderView(order), payments: attempts.map(paymentView) })), concurrently)
      ], concurrently)
      if (Option.isNone(account) || account.value.deletedAt !== null) {
        return yield* new NotFound({ message: `No user ${id}` })
      }
      return {
        user: userView(account.value),
        services: offered.map(serviceView),
        bookings: detailed,
        orders: withPayments,
        recent_messages: recent.map(messageView)
      } satisfies UserOverview
    })

    /**
     * What everyone sees: the service with its provider (one statement:
     * services carry their provider's public fields), then the provider's
     * latest reviews, then their authors. Cached; the owner and admins get it
     * with the service's bookings added, read fresh.
     */
    const service = Effect.fn("Overviews.service")(function*(viewer: Option.Option<Caller>, id: ServiceId) {
      const shared = yield* cache.get({
        entity: "service.overview",
        key: id,
        schema: ServiceOverview,
        ttl: "10 minutes",
        tags: [Tags.service(id)],
        lookup: Effect.flatMap(services.findById(id), (row) => Option.isSome(row) ? Effect.asSome(assemble(row.value)) : Effect.succeedNone)
      })
      if (Option.isNone(shared)) return yield* new NotFound({ message: `No service ${id}` })
      const owner = shared.value.service.provider_id
      if (!Option.exists(viewer, (caller) => caller.id === owner || caller.role === "admin")) return shared.value
      const booked = yield* bookingsRepo.byService(id)
      return { ...shared.value, bookings: booked.map(bookingView) } satisfies ServiceOverview
    })

    const assemble = (row: ServiceRow) =>
      Effect.map(
        Effect.flatMap(reviews.recentReceived(row.providerId), (received) =>
          Effect.forEach(received, (review) =>
            Effect.map(users.findAnyById(review.reviewerId), (reviewer) => ({
              ...reviewView(review),
              reviewer: publicUserView(Option.getOrThrowWith(reviewer, () => `reviewer ${review.reviewerId} is missing`))
            })), concurrently)),
        (latest): ServiceOverview => {
          const view = serviceView(row)
          return { service: view, provider: view.provider, reviews: latest, rating: view.provider.rating }
        }
      )

    return { user, service }
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(
    Layer.provide([Bookings.layer, BookingsRepo.layer, UsersRepo.layer, ServicesRepo.layer, OrdersRepo.layer, PaymentsRepo.layer, MessagesRepo.layer, ReviewsRepo.layer])
  )
}

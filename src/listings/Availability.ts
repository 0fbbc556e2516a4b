/**
 * Providers' availability: the slot rules of API.md (15 min to 24 h, in the
 * future), overlap refused by the database, and whether a booking holds a slot.
 */
import { Context, Effect, Layer, Option } from "effect"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import type { UserId } from "../domain/User.ts"
import type { Caller } from "../users/Authentication.ts"
import { AvailabilityOverlap, AvailabilityRuleViolation, type SlotId, SlotHasBookings, type SlotView } from "./AvailabilityApi.ts"
import { AvailabilityRepo, type SlotRow } from "./AvailabilityRepo.ts"

const MINUTE = 60_000

const slotView = (row: SlotRow): SlotView => ({
  id: row.id,
  provider_id: row.providerId,
  start_at: row.startAt.toISOString(),
  end_at: row.endAt.toISOString(),
  booked: row.booked
})

export class Availability extends Context.Service<Availability>()("maplehustle/listings/Availability", {
  make: Effect.gen(function*() {
    const repo = yield* AvailabilityRepo

    const create = Effect.fn("Availability.create")(function*(caller: Caller, startAt: string, endAt: string) {
      if (caller.role !== "provider") return yield* new Forbidden({ message: "Only providers publish availability" })
      const start = new Date(startAt)
      const end = new Date(endAt)
      const length = end.getTime() - start.getTime()
      if (length <= 0) return yield* new BadRequest({ message: "end_at must be after start_at" })
      if (start.getTime() <= Date.now()) {
        return yield* new AvailabilityRuleViolation({ rule: "in_the_past", message: "A slot must start in the future" })
      }
      if (length < 15 * MINUTE) return yield* new AvailabilityRuleViolation({ rule: "too_short", message: "A slot lasts at least 15 minutes" })
      if (length > 24 * 60 * MINUTE) return yield* new AvailabilityRuleViolation({ rule: "too_long", message: "A slot lasts at most 24 hours" })
      const slot = yield* repo.insert(caller.id, start, end)
      if (Option.isNone(slot)) return yield* new AvailabilityOverlap({ message: "The slot overlaps one of your slots" })
      return slotView(slot.value)
    })

    const list = Effect.fn("Availability.list")(function*(providerId: UserId, from: string | undefined, to: string | undefined) {
      const start = from === undefined ? new Date() : new Date(from)
      const end = to === undefined ? undefined : new Date(to)
      if (end !== undefined && end <= start) return yield* new BadRequest({ message: "to must be after from" })
      return (yield* repo.list(providerId, start, end)).map(slotView)
    })

    const remove = Effect.fn("Availability.remove")(function*(caller: Caller, id: SlotId) {
      const owner = yield* repo.findOwner(id)
      if (Option.isNone(owner)) return yield* new NotFound({ message: `No slot ${id}` })
      if (owner.value !== caller.id) return yield* new Forbidden({ message: "Only the provider who published this slot may delete it" })
      const outcome = yield* repo.remove(id)
      if (outcome === "gone") return yield* new NotFound({ message: `No slot ${id}` })
      if (outcome === "booked") return yield* new SlotHasBookings({ message: "A pending or accepted booking lies inside this slot" })
    })

    return { create, list, remove }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide(AvailabilityRepo.layer))
}

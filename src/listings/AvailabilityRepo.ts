/**
 * SQL of `availability_slots`. Overlap between a provider's slots is refused
 * by the table's exclusion constraint, so concurrent inserts cannot both win.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { isSqlError } from "effect/sql/SqlError"
import type { UserId } from "../domain/User.ts"
import { violation } from "../infra/Sql.ts"
import type { SlotId } from "./AvailabilityApi.ts"

export interface SlotRow {
  readonly id: SlotId
  readonly providerId: UserId
  readonly startAt: Date
  readonly endAt: Date
  readonly booked: boolean
}

const MAX_SLOTS = 1000

export class AvailabilityRepo extends Context.Service<AvailabilityRepo>()("maplehustle/listings/AvailabilityRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const columns = sql`s.id, s.provider_id, lower(s.period) AS start_at, upper(s.period) AS end_at,
      EXISTS (SELECT 1 FROM bookings b WHERE b.provider_id = s.provider_id AND b.status IN ('pending', 'accepted')
              AND b.period && s.period) AS booked`

    /** The new slot, or `None` when it overlaps one of the provider's slots. */
    const insert = Effect.fn("AvailabilityRepo.insert")(function*(providerId: UserId, start: Date, end: Date) {
      const rows = yield* sql<SlotRow>`
        WITH s AS (
          INSERT INTO availability_slots (provider_id, period) VALUES (${providerId}, tstzrange(${start}, ${end}, '[)'))
          RETURNING id, provider_id, period
        )
        SELECT ${columns} FROM s`.pipe(
        Effect.catchIf(
          (error) => isSqlError(error) && violation(error).constraint === "availability_slots_no_overlap",
          () => Effect.succeed([])
        )
      )
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const list = Effect.fn("AvailabilityRepo.list")(function*(providerId: UserId, from: Date, to: Date | undefined) {
      return yield* sql<SlotRow>`
        SELECT ${columns} FROM availability_slots s
        WHERE s.provider_id = ${providerId}
          AND s.period && tstzrange(${from}, ${to ?? null}, '[)')
        ORDER BY lower(s.period)
        LIMIT ${MAX_SLOTS}`
    }, Effect.orDie)

    const findOwner = Effect.fn("AvailabilityRepo.findOwner")(function*(id: SlotId) {
      const rows = yield* sql<{ providerId: UserId }>`SELECT provider_id FROM availability_slots WHERE id = ${id}`
      return Option.fromNullishOr(rows[0]?.providerId)
    }, Effect.orDie)

    /**
     * Deletes the slot unless a pending or accepted booking lies inside it, in
     * one statement; `"booked"` when one does, `"gone"` when there is no slot.
     */
    const remove = Effect.fn("AvailabilityRepo.remove")(function*(id: SlotId) {
      const rows = yield* sql<{ deleted: boolean; found: boolean }>`
        WITH target AS (SELECT id, provider_id, period FROM availability_slots WHERE id = ${id} FOR UPDATE),
        blocked AS (
          SELECT 1 FROM bookings b, target t
          WHERE b.provider_id = t.provider_id AND b.status IN ('pending', 'accepted') AND t.period @> b.period
        ),
        deleted AS (
          DELETE FROM availability_slots WHERE id IN (SELECT id FROM target) AND NOT EXISTS (SELECT 1 FROM blocked)
          RETURNING id
        )
        SELECT EXISTS (SELECT 1 FROM deleted) AS deleted, EXISTS (SELECT 1 FROM target) AS found`
      const row = rows[0]
      return row === undefined || !row.found ? "gone" as const : row.deleted ? "deleted" as const : "booked" as const
    }, Effect.orDie)

    return { insert, list, findOwner, remove }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

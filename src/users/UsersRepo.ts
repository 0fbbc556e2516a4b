import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { Role, UserId } from "../domain/User.ts"

export class UsersRepo extends Context.Service<UsersRepo>()("maplehustle/users/UsersRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    /** Role and standing of a user, for authenticating each request; `None` if deleted or unknown. */
    const findAuthState = Effect.fn("UsersRepo.findAuthState")(function*(id: UserId) {
      const rows = yield* sql<{ role: Role; active: boolean }>`
        SELECT role, status = 'active' AS active FROM users WHERE id = ${id} AND deleted_at IS NULL`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    return { findAuthState }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

/**
 * Profiles and standing: what a user sees and changes of their own account,
 * what anyone sees of a user, and the admin's moderation (suspension, provider
 * verification). The acting user always comes from the access token.
 */
import { Context, Effect, Layer, Option } from "effect"
import { BadRequest, NotFound } from "../domain/Errors.ts"
import type { UserId, UserStatus } from "../domain/User.ts"
import { Transactions } from "../infra/Sql.ts"
import { Cache } from "../infra/Cache.ts"
import { CachedReads, Tags } from "../listings/CachedReads.ts"
import { type ProfileUpdate, PublicUserView, UserRuleViolation, type UserView } from "./Api.ts"
import type { Caller } from "./Authentication.ts"
import { type UserRow, UsersRepo } from "./UsersRepo.ts"

export const userView = (row: UserRow): UserView => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  status: row.status,
  verification_status: row.verificationStatus,
  is_email_verified: row.emailVerifiedAt !== null,
  phone_number: row.phoneNumber,
  city: row.city,
  postal_code: row.postalCode,
  province_code: row.provinceCode,
  preferred_contact_method: row.preferredContactMethod,
  profile_image_file_id: row.profileImageFileId,
  created_at: row.createdAt.toISOString()
})

/** `{average, count}` with the average rounded half-up to 2 decimals, or `null` without reviews. */
const rating = (sum: number, count: number) =>
  count === 0 ? null : { average: Math.round((sum / count) * 100 + Number.EPSILON) / 100, count }

/** The public view of any row carrying a user's public fields (a user, a service's provider, a search hit). */
export const publicUserView = (row: {
  readonly id: string
  readonly name: string
  readonly role: UserRow["role"]
  readonly city: string | null
  readonly provinceCode: string | null
  readonly ratingSum: number
  readonly ratingCount: number
}): PublicUserView => ({
  id: row.id,
  name: row.name,
  role: row.role,
  city: row.city,
  province_code: row.provinceCode,
  rating: rating(row.ratingSum, row.ratingCount)
})

const userNotFound = (id: UserId) => new NotFound({ message: `No user ${id}` })

export class Users extends Context.Service<Users>()("maplehustle/users/Users", {
  make: Effect.gen(function*() {
    const repo = yield* UsersRepo
    const cache = yield* Cache
    const reads = yield* CachedReads
    const tx = yield* Transactions

    const existing = (id: UserId, row: Option.Option<UserRow>) =>
      Option.match(row, { onNone: () => Effect.fail(userNotFound(id)), onSome: (r) => Effect.succeed(r) })

    /** The caller's account; it exists, or authentication would have failed. */
    const me = Effect.fn("Users.me")(function*(caller: Caller) {
      const row = yield* repo.findById(caller.id)
      return userView(yield* Effect.orDie(existing(caller.id, row)))
    })

    const updateMe = Effect.fn("Users.updateMe")(function*(caller: Caller, update: ProfileUpdate) {
      const changes = {
        name: update.name,
        phoneNumber: update.phone_number,
        city: update.city,
        postalCode: update.postal_code,
        provinceCode: update.province_code,
        preferredContactMethod: update.preferred_contact_method,
        profileImageFileId: update.profile_image_file_id
      }
      if (Object.values(changes).every((value) => value === undefined)) {
        return yield* new BadRequest({
          message: "Provide at least one of name, phone_number, city, postal_code, province_code, preferred_contact_method, profile_image_file_id"
        })
      }
      const image = update.profile_image_file_id
      if (typeof image === "string" && !(yield* repo.isOwnAvatar(caller.id, image))) {
        return yield* new UserRuleViolation({
          rule: "profile_image_not_owned",
          message: `File ${image} is not an avatar you uploaded`
        })
      }
      const row = yield* repo.updateProfile(caller.id, changes)
      yield* reads.userChanged(caller.id)
      return userView(yield* Effect.orDie(existing(caller.id, row)))
    })

    const publicProfile = Effect.fn("Users.publicProfile")(function*(id: UserId) {
      const view = yield* cache.get({
        entity: "user.public",
        key: id,
        schema: PublicUserView,
        ttl: "1 hour",
        tags: [Tags.user(id)],
        lookup: Effect.map(repo.findById(id), Option.map(publicUserView))
      })
      return yield* Option.match(view, { onNone: () => Effect.fail(userNotFound(id)), onSome: Effect.succeed })
    })

    /** Suspension revokes the user's refresh tokens in the same transaction; access tokens fail at their next use. */
    const setStatus = Effect.fn("Users.setStatus")(function*(admin: Caller, id: UserId, status: UserStatus) {
      if (admin.id === id) {
        return yield* new UserRuleViolation({ rule: "own_status", message: "An admin cannot change their own status" })
      }
      const row = yield* tx.withTransaction(Effect.gen(function*() {
        const updated = yield* existing(id, yield* repo.setStatus(id, status))
        if (status === "suspended") yield* repo.revokeRefreshTokens(id, "suspended")
        yield* reads.userChanged(id)
        return updated
      }))
      return userView(row)
    })

    const setVerification = Effect.fn("Users.setVerification")(
      function*(id: UserId, status: "approved" | "rejected") {
        const updated = yield* repo.setVerification(id, status)
        if (Option.isSome(updated)) {
          yield* reads.userChanged(id)
          return userView(updated.value)
        }
        yield* existing(id, yield* repo.findById(id))
        return yield* new UserRuleViolation({ rule: "not_a_provider", message: `User ${id} is not a provider` })
      }
    )

    return { me, updateMe, publicProfile, setStatus, setVerification }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([UsersRepo.layer, Transactions.layer, CachedReads.layer]))
}

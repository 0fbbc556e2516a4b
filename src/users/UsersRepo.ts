/**
 * All SQL of the `users` table and of what touches a user's standing (their
 * refresh tokens). Deleted users (`deleted_at`) are invisible here.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { ContactMethod, Role, UserId, UserStatus, VerificationStatus } from "../domain/User.ts"
import * as Resolvers from "../infra/Resolvers.ts"

export interface UserRow {
  readonly id: UserId
  readonly email: string
  readonly name: string
  readonly role: Role
  readonly status: UserStatus
  readonly verificationStatus: VerificationStatus | null
  readonly emailVerifiedAt: Date | null
  readonly phoneNumber: string | null
  readonly city: string | null
  readonly postalCode: string | null
  readonly provinceCode: string | null
  readonly preferredContactMethod: ContactMethod
  readonly profileImageFileId: string | null
  readonly ratingSum: number
  readonly ratingCount: number
  readonly createdAt: Date
}

/** What a user may change of their own profile; `null` clears a field, absent leaves it. */
export interface ProfileChanges {
  readonly name?: string | undefined
  readonly phoneNumber?: string | null | undefined
  readonly city?: string | null | undefined
  readonly postalCode?: string | null | undefined
  readonly provinceCode?: string | null | undefined
  readonly preferredContactMethod?: ContactMethod | undefined
  readonly profileImageFileId?: string | null | undefined
}

export class UsersRepo extends Context.Service<UsersRepo>()("maplehustle/users/UsersRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const columns = sql`id, email::text AS email, name, role, status, verification_status, email_verified_at, phone_number,
      city, postal_code, province_code, preferred_contact_method, profile_image_file_id, rating_sum, rating_count, created_at`

    /** Role and standing of a user, for authenticating each request; `None` if deleted or unknown. */
    /**
     * What the bearer check needs, in one indexed read: the user's role,
     * whether they are active, and whether `session` (a refresh-token family)
     * still has a live token, i.e. is signed in.
     */
    const findAuthState = Effect.fn("UsersRepo.findAuthState")(function*(id: UserId, session: string) {
      const rows = yield* sql<{ role: Role; active: boolean; signedIn: boolean }>`
        SELECT u.role, u.status = 'active' AS active,
               EXISTS (SELECT 1 FROM refresh_tokens r
                       WHERE r.family_id = ${session}::uuid AND r.user_id = u.id
                         AND r.revoked_at IS NULL AND r.rotated_at IS NULL AND r.expires_at > now()) AS signed_in
        FROM users u WHERE u.id = ${id} AND u.deleted_at IS NULL`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const findById = Resolvers.byId<UserId, UserRow>("UsersRepo.byId", {
      id: (row) => row.id,
      execute: (ids) => sql<UserRow>`SELECT ${columns} FROM users WHERE id = ANY(${ids}::uuid[]) AND deleted_at IS NULL`
    })

    /**
     * Users named by records that outlive them (a booking's client and
     * provider, a review's author): deleted users too, with `deletedAt` set.
     */
    const findAnyById = Resolvers.byId<UserId, UserRow & { readonly deletedAt: Date | null }>("UsersRepo.anyById", {
      id: (row) => row.id,
      execute: (ids) => sql<UserRow & { readonly deletedAt: Date | null }>`
        SELECT ${columns}, deleted_at FROM users WHERE id = ANY(${ids}::uuid[])`
    })

    /** Applies `changes` (at least one) and returns the updated row. */
    const updateProfile = Effect.fn("UsersRepo.updateProfile")(function*(id: UserId, changes: ProfileChanges) {
      const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
      const rows = yield* sql<UserRow>`
        UPDATE users SET ${sql.update(set)} WHERE id = ${id} AND deleted_at IS NULL RETURNING ${columns}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const setStatus = Effect.fn("UsersRepo.setStatus")(function*(id: UserId, status: UserStatus) {
      const rows = yield* sql<UserRow>`
        UPDATE users SET status = ${status} WHERE id = ${id} AND deleted_at IS NULL RETURNING ${columns}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** Sets the verification of a provider; `None` when `id` is no live provider. */
    const setVerification = Effect.fn("UsersRepo.setVerification")(function*(id: UserId, status: VerificationStatus) {
      const rows = yield* sql<UserRow>`
        UPDATE users SET verification_status = ${status}
        WHERE id = ${id} AND role = 'provider' AND deleted_at IS NULL RETURNING ${columns}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** Revokes every active refresh token of `id`; returns how many. */
    const revokeRefreshTokens = Effect.fn("UsersRepo.revokeRefreshTokens")(
      function*(id: UserId, reason: "logout_all" | "password_changed" | "suspended") {
        const rows = yield* sql`
          UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = ${reason}
          WHERE user_id = ${id} AND revoked_at IS NULL AND rotated_at IS NULL RETURNING id`
        return rows.length
      },
      Effect.orDie
    )

    /** Whether `fileId` is a live avatar image uploaded by `ownerId`. */
    const isOwnAvatar = Effect.fn("UsersRepo.isOwnAvatar")(function*(ownerId: UserId, fileId: string) {
      const rows = yield* sql`
        SELECT 1 FROM files WHERE id = ${fileId} AND owner_id = ${ownerId} AND purpose = 'avatar' AND deleted_at IS NULL`
      return rows.length > 0
    }, Effect.orDie)

    return { findAuthState, findById, findAnyById, updateProfile, setStatus, setVerification, revokeRefreshTokens, isOwnAvatar }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

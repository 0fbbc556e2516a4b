/**
 * SQL of sign-up and sessions: new users, credentials by email, one-time
 * tokens and refresh tokens. Tokens are stored as SHA-256 digests only.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { ContactMethod, Role, UserId, UserStatus } from "../domain/User.ts"
import type { UserRow } from "./UsersRepo.ts"

/** At most this many refresh tokens are active per user; a new login evicts the oldest. */
export const MAX_ACTIVE_SESSIONS = 5

export interface NewUser {
  readonly email: string
  readonly passwordHash: string
  readonly name: string
  readonly role: Role
  readonly phoneNumber: string | null
  readonly city: string | null
  readonly postalCode: string | null
  readonly provinceCode: string | null
  readonly preferredContactMethod: ContactMethod
}

export interface RefreshTokenRow {
  readonly id: string
  readonly userId: UserId
  readonly familyId: string
  readonly userAgent: string | null
  readonly expired: boolean
  readonly rotated: boolean
  readonly revoked: boolean
  readonly role: Role
  readonly userStatus: UserStatus
}

export interface SessionRow {
  readonly id: string
  readonly createdAt: Date
  readonly expiresAt: Date
  readonly lastUsedAt: Date | null
  readonly userAgent: string | null
}

export class AuthRepo extends Context.Service<AuthRepo>()("maplehustle/users/AuthRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    /** The new user's row, or `None` when a live account already has the email. */
    const insertUser = Effect.fn("AuthRepo.insertUser")(function*(user: NewUser) {
      const rows = yield* sql<UserRow>`
        INSERT INTO users ${sql.insert({ ...user, verificationStatus: user.role === "provider" ? "pending" : null })}
        ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING
        RETURNING id, email::text AS email, name, role, status, verification_status, email_verified_at, phone_number,
          city, postal_code, province_code, preferred_contact_method, profile_image_file_id, rating_sum, rating_count, created_at`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const findCredentials = Effect.fn("AuthRepo.findCredentials")(function*(email: string) {
      const rows = yield* sql<{ id: UserId; role: Role; status: UserStatus; passwordHash: string }>`
        SELECT id, role, status, password_hash FROM users WHERE email = ${email} AND deleted_at IS NULL`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const insertUserToken = Effect.fn("AuthRepo.insertUserToken")(
      function*(userId: UserId, purpose: "email_verification" | "password_reset", tokenHash: Uint8Array, ttlMs: number) {
        yield* sql`INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at)
                   VALUES (${userId}, ${purpose}, ${tokenHash}, now() + ${ttlMs} * interval '1 millisecond')`
      },
      Effect.orDie
    )

    /**
     * Stores a refresh token and evicts the user's oldest active ones beyond
     * `MAX_ACTIVE_SESSIONS`; run in the login's or refresh's transaction.
     */
    const insertRefreshToken = Effect.fn("AuthRepo.insertRefreshToken")(function*(token: {
      readonly userId: UserId
      readonly familyId: string
      readonly parentId: string | null
      readonly tokenHash: Uint8Array
      readonly userAgent: string | null
      readonly ttlMs: number
    }) {
      // One session write per user at a time: two logins evicting each other's rows in opposite orders deadlock.
      // NO KEY UPDATE conflicts only with itself and FOR UPDATE, not with the foreign-key checks of other writes.
      yield* sql`SELECT 1 FROM users WHERE id = ${token.userId} FOR NO KEY UPDATE`
      yield* sql`
        INSERT INTO refresh_tokens (user_id, family_id, parent_id, token_hash, user_agent, expires_at)
        VALUES (${token.userId}, ${token.familyId}, ${token.parentId}, ${token.tokenHash}, ${token.userAgent},
                now() + ${token.ttlMs} * interval '1 millisecond')`
      yield* sql`
        UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'evicted'
        WHERE id IN (
          SELECT id FROM refresh_tokens
          WHERE user_id = ${token.userId} AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > now()
          ORDER BY created_at DESC, id DESC OFFSET ${MAX_ACTIVE_SESSIONS})`
    }, Effect.orDie)

    const findRefreshToken = Effect.fn("AuthRepo.findRefreshToken")(function*(tokenHash: Uint8Array) {
      const rows = yield* sql<RefreshTokenRow>`
        SELECT t.id, t.user_id, t.family_id, t.user_agent, t.expires_at <= now() AS expired, t.rotated_at IS NOT NULL AS rotated,
               t.revoked_at IS NOT NULL AS revoked, u.role, u.status AS user_status
        FROM refresh_tokens t JOIN users u ON u.id = t.user_id AND u.deleted_at IS NULL
        WHERE t.token_hash = ${tokenHash}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** Marks a token used; false when another request rotated or revoked it first. */
    const markRotated = Effect.fn("AuthRepo.markRotated")(function*(id: string) {
      const rows = yield* sql`
        UPDATE refresh_tokens SET rotated_at = now(), last_used_at = now()
        WHERE id = ${id} AND rotated_at IS NULL AND revoked_at IS NULL RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    const revokeFamily = Effect.fn("AuthRepo.revokeFamily")(function*(familyId: string) {
      yield* sql`UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'rotated_reuse'
                 WHERE family_id = ${familyId} AND revoked_at IS NULL`
    }, Effect.orDie)

    /** Revokes `tokenHash` if it is one of `userId`'s active tokens. */
    const revokeOwn = Effect.fn("AuthRepo.revokeOwn")(function*(userId: UserId, tokenHash: Uint8Array) {
      yield* sql`UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'logout'
                 WHERE user_id = ${userId} AND token_hash = ${tokenHash} AND revoked_at IS NULL`
    }, Effect.orDie)

    const activeSessions = Effect.fn("AuthRepo.activeSessions")(function*(userId: UserId) {
      return yield* sql<SessionRow>`
        SELECT id, created_at, expires_at, last_used_at, user_agent FROM refresh_tokens
        WHERE user_id = ${userId} AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > now()
        ORDER BY created_at DESC, id DESC`
    }, Effect.orDie)

    /**
     * Uses a one-time token: true once, for a live, unexpired token of
     * `purpose`; the conditional UPDATE makes a second use (even a racing
     * one) fail. Returns the token's user.
     */
    const useUserToken = Effect.fn("AuthRepo.useUserToken")(
      function*(purpose: "email_verification" | "password_reset", tokenHash: Uint8Array) {
        const rows = yield* sql<{ userId: UserId }>`
          UPDATE user_tokens SET used_at = now()
          WHERE token_hash = ${tokenHash} AND purpose = ${purpose} AND used_at IS NULL AND expires_at > now()
            AND user_id IN (SELECT id FROM users WHERE deleted_at IS NULL)
          RETURNING user_id`
        return Option.fromNullishOr(rows[0]?.userId)
      },
      Effect.orDie
    )

    /** Ends every other outstanding token of `purpose` (a reset makes older reset links useless). */
    const expireUserTokens = Effect.fn("AuthRepo.expireUserTokens")(
      function*(userId: UserId, purpose: "email_verification" | "password_reset") {
        yield* sql`UPDATE user_tokens SET used_at = now() WHERE user_id = ${userId} AND purpose = ${purpose} AND used_at IS NULL`
      },
      Effect.orDie
    )

    const markEmailVerified = Effect.fn("AuthRepo.markEmailVerified")(function*(userId: UserId) {
      yield* sql`UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = ${userId}`
    }, Effect.orDie)

    const setPassword = Effect.fn("AuthRepo.setPassword")(function*(userId: UserId, passwordHash: string) {
      yield* sql`UPDATE users SET password_hash = ${passwordHash}, password_changed_at = now() WHERE id = ${userId}`
    }, Effect.orDie)

    const findPasswordHash = Effect.fn("AuthRepo.findPasswordHash")(function*(userId: UserId) {
      const rows = yield* sql<{ passwordHash: string }>`SELECT password_hash FROM users WHERE id = ${userId} AND deleted_at IS NULL`
      return Option.fromNullishOr(rows[0]?.passwordHash)
    }, Effect.orDie)

    /** The name and email of a live, active account with `email`, for a reset link. */
    const findResettable = Effect.fn("AuthRepo.findResettable")(function*(email: string) {
      const rows = yield* sql<{ id: UserId; name: string; email: string }>`
        SELECT id, name, email::text AS email FROM users WHERE email = ${email} AND deleted_at IS NULL AND status = 'active'`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    return {
      useUserToken,
      expireUserTokens,
      markEmailVerified,
      setPassword,
      findPasswordHash,
      findResettable,
      insertUser,
      findCredentials,
      insertUserToken,
      insertRefreshToken,
      findRefreshToken,
      markRotated,
      revokeFamily,
      revokeOwn,
      activeSessions
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

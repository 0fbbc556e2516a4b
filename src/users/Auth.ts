/**
 * Sign-up and sessions. Passwords are argon2id hashes (`Passwords`); access
 * tokens are 30-minute JWTs; refresh tokens are 32 random bytes stored as
 * SHA-256 only, valid 7 days, at most 5 active per user, rotated on every use.
 * A refresh token presented after it was rotated means it leaked: the whole
 * family of that login is revoked. The emails of a registration are jobs
 * enqueued in its transaction, so they exist if and only if the account does.
 */
import { Config, Context, Effect, Layer, Option, Schema } from "effect"
import * as Crypto from "node:crypto"
import { RateLimited, Unauthorized } from "../domain/Errors.ts"
import type { UserId } from "../domain/User.ts"
import { SealedVariables, SendEmail } from "../domain/Job.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import { RateLimiter, type Window } from "../infra/RateLimiter.ts"
import { PayloadSeal } from "../infra/Secrets.ts"
import { Transactions } from "../infra/Sql.ts"
import { ACCESS_TOKEN_TTL_SECONDS, AccessTokens } from "./AccessTokens.ts"
import { AccountSuspended, EmailTaken, InvalidCredentials, InvalidToken, type Registration } from "./Api.ts"
import type { Caller } from "./Authentication.ts"
import { AuthRepo } from "./AuthRepo.ts"
import { Passwords } from "./Passwords.ts"
import { UsersRepo } from "./UsersRepo.ts"
import { userView } from "./Users.ts"

const encodeSealed = Schema.encodeSync(SealedVariables)

const REFRESH_TTL_MS = 7 * 24 * 3600 * 1000
const VERIFICATION_TTL_MS = 24 * 3600 * 1000
const RESET_TTL_MS = 3600 * 1000
const LOCKOUT = { failures: 5, windowMs: 15 * 60 * 1000 }

/** The 429 for an exhausted window. */
export const rateLimited = (window: Window, what: string) => {
  const seconds = Math.max(1, Math.ceil(window.resetInMs / 1000))
  return new RateLimited({ message: `Too many ${what}; try again in ${seconds} s`, retry_after_s: seconds })
}

/** A new opaque token: what the client gets, and the digest we keep. */
const newToken = () => {
  const token = Crypto.randomBytes(32).toString("base64url")
  return { token, digest: digest(token) }
}
const digest = (token: string) => new Uint8Array(Crypto.createHash("sha256").update(token).digest())

const invalidCredentials = new InvalidCredentials({ message: "Wrong email or password" })
const invalidRefresh = new Unauthorized({ message: "Invalid, expired or revoked refresh token" })

export class Auth extends Context.Service<Auth>()("maplehustle/users/Auth", {
  make: Effect.gen(function*() {
    const repo = yield* AuthRepo
    const users = yield* UsersRepo
    const passwords = yield* Passwords
    const tokens = yield* AccessTokens
    const jobs = yield* JobQueue
    const tx = yield* Transactions
    const limiter = yield* RateLimiter
    const appUrl = yield* Config.String("APP_URL").pipe(Config.withDefault("http://localhost:3000"))
    const payloadSeal = yield* PayloadSeal
    /** The email's one-time token and its link, sealed: the job's stored payload must not hand them to a database reader. */
    const sealedToken = (token: string, path: string) =>
      payloadSeal.seal(encodeSealed({ token, link: `${appUrl}${path}?token=${token}` }))

    const register = Effect.fn("Auth.register")(function*(input: Registration) {
      const passwordHash = yield* passwords.hash(input.password)
      return yield* tx.withTransaction(Effect.gen(function*() {
        const inserted = yield* repo.insertUser({
          email: input.email,
          passwordHash,
          name: input.name,
          role: input.role,
          phoneNumber: input.phone_number ?? null,
          city: input.city ?? null,
          postalCode: input.postal_code ?? null,
          provinceCode: input.province_code ?? null,
          preferredContactMethod: "email"
        })
        if (Option.isNone(inserted)) return yield* new EmailTaken({ message: `An account already uses ${input.email}` })
        const user = inserted.value
        const verification = newToken()
        yield* repo.insertUserToken(user.id, "email_verification", verification.digest, VERIFICATION_TTL_MS)
        yield* jobs.enqueueMany([
          { job: new SendEmail({ to: user.email, template: "welcome", variables: { name: user.name } }) },
          {
            job: new SendEmail({
              to: user.email,
              template: "email_verification",
              variables: { name: user.name },
              sealed: sealedToken(verification.token, "/verify-email")
            })
          }
        ])
        return userView(user)
      }))
    })

    /** Stores a new refresh token in `familyId` (a new family for a login), in the caller's transaction. */
    const storeRefreshToken = (caller: Caller, familyId: string, parentId: string | null, userAgent: string | null) =>
      Effect.gen(function*() {
        const refresh = newToken()
        yield* repo.insertRefreshToken({ userId: caller.id, familyId, parentId, tokenHash: refresh.digest, userAgent, ttlMs: REFRESH_TTL_MS })
        return { caller, session: familyId, refreshToken: refresh.token }
      })

    /**
     * The pair, its access token signed after the transaction: never while it holds the user's session lock.
     * Signing runs on libuv's thread pool, which concurrent password hashes can keep busy for seconds; other
     * logins of the user would wait on the lock holding pool connections (seen: 8 s waits and a 503).
     */
    const pair = ({ caller, refreshToken, session }: { readonly caller: Caller; readonly session: string; readonly refreshToken: string }) =>
      Effect.map(tokens.issue(caller, session), (accessToken) => ({
        access_token: accessToken,
        refresh_token: refreshToken,
        token_type: "bearer" as const,
        expires_in: ACCESS_TOKEN_TTL_SECONDS
      }))

    const login = Effect.fn("Auth.login")(function*(email: string, password: string, userAgent: string | undefined) {
      // Every attempt counts before its guess is checked, and a success clears the count: concurrent guesses
      // cannot all pass a check made before any of them failed (a burst gets 5 guesses, not one per request).
      // Locked for unknown emails too, so the lockout reveals nothing either.
      const key = `login-failures:${email.toLowerCase()}`
      const locked = yield* limiter.hit(key, LOCKOUT.failures, LOCKOUT.windowMs)
      if (Option.isSome(locked)) return yield* rateLimited(locked.value, "failed logins for this email")
      const credentials = yield* repo.findCredentials(email)
      if (Option.isNone(credentials)) {
        yield* passwords.verifyNobody(password)
        return yield* invalidCredentials
      }
      const user = credentials.value
      if (!(yield* passwords.verify(user.passwordHash, password))) return yield* invalidCredentials
      yield* limiter.reset(key)
      if (user.status !== "active") return yield* new AccountSuspended({ message: "This account is suspended" })
      return yield* pair(yield* tx.withTransaction(storeRefreshToken(user, crypto.randomUUID(), null, userAgent?.slice(0, 512) ?? null)))
    })

    const refresh = Effect.fn("Auth.refresh")(function*(token: string) {
      return yield* tx.withTransaction(Effect.gen(function*() {
        const found = yield* repo.findRefreshToken(digest(token))
        if (Option.isNone(found)) return yield* invalidRefresh
        const row = found.value
        if (row.revoked || row.expired || row.userStatus !== "active") return yield* invalidRefresh
        // A conditional UPDATE: of two requests racing with one token, exactly one rotates it.
        if (row.rotated || !(yield* repo.markRotated(row.id))) {
          yield* repo.revokeFamily(row.familyId)
          return yield* Effect.logWarning("refresh token reused: its login family is revoked").pipe(
            Effect.annotateLogs({ user_id: row.userId }),
            Effect.andThen(invalidRefresh)
          )
        }
        return yield* storeRefreshToken({ id: row.userId, role: row.role }, row.familyId, row.id, row.userAgent)
      }).pipe(
        // The family revocation must stand although the request fails: commit it, then fail.
        Effect.exit
      )).pipe(Effect.flatten, Effect.flatMap(pair))
    })

    const logout = Effect.fn("Auth.logout")(function*(caller: Caller, token: string) {
      yield* repo.revokeOwn(caller.id, digest(token))
    })

    const logoutAll = Effect.fn("Auth.logoutAll")(function*(caller: Caller) {
      yield* users.revokeRefreshTokens(caller.id, "logout_all")
    })

    const invalidToken = (what: string) => new InvalidToken({ message: `Unknown, used or expired ${what} token` })

    const verifyEmail = Effect.fn("Auth.verifyEmail")(function*(token: string) {
      yield* tx.withTransaction(Effect.gen(function*() {
        const user = yield* repo.useUserToken("email_verification", digest(token))
        if (Option.isNone(user)) return yield* invalidToken("verification")
        yield* repo.markEmailVerified(user.value)
      }))
    })

    /** The same answer for every email; only an active account gets the reset email (in the token's transaction). */
    const forgotPassword = Effect.fn("Auth.forgotPassword")(function*(email: string) {
      yield* tx.withTransaction(Effect.gen(function*() {
        const user = yield* repo.findResettable(email)
        if (Option.isNone(user)) return
        const reset = newToken()
        yield* repo.insertUserToken(user.value.id, "password_reset", reset.digest, RESET_TTL_MS)
        yield* jobs.enqueue(new SendEmail({
          to: user.value.email,
          template: "password_reset",
          variables: { name: user.value.name },
          sealed: sealedToken(reset.token, "/reset-password")
        }))
      }))
    })

    /**
     * Sets a new password and signs out everywhere; run in the caller's transaction, with the hash made before
     * it (a hash inside would hold a pool connection, and the rows the transaction locked, for its 50–100 ms).
     */
    const replacePassword = (userId: UserId, passwordHash: string) =>
      Effect.gen(function*() {
        yield* repo.setPassword(userId, passwordHash)
        yield* repo.expireUserTokens(userId, "password_reset")
        yield* users.revokeRefreshTokens(userId, "password_changed")
      })

    const resetPassword = Effect.fn("Auth.resetPassword")(function*(token: string, password: string) {
      const passwordHash = yield* passwords.hash(password)
      yield* tx.withTransaction(Effect.gen(function*() {
        const user = yield* repo.useUserToken("password_reset", digest(token))
        if (Option.isNone(user)) return yield* invalidToken("reset")
        yield* replacePassword(user.value, passwordHash)
      }))
    })

    const changePassword = Effect.fn("Auth.changePassword")(function*(caller: Caller, old: string, password: string) {
      const stored = yield* repo.findPasswordHash(caller.id)
      if (Option.isNone(stored) || !(yield* passwords.verify(stored.value, old))) {
        return yield* new InvalidCredentials({ message: "The current password is wrong" })
      }
      const passwordHash = yield* passwords.hash(password)
      yield* tx.withTransaction(replacePassword(caller.id, passwordHash))
    })

    const sessions = Effect.fn("Auth.sessions")(function*(caller: Caller) {
      return (yield* repo.activeSessions(caller.id)).map((s) => ({
        id: s.id,
        created_at: s.createdAt.toISOString(),
        expires_at: s.expiresAt.toISOString(),
        last_used_at: s.lastUsedAt?.toISOString() ?? null,
        user_agent: s.userAgent
      }))
    })

    return { register, login, refresh, logout, logoutAll, sessions, verifyEmail, forgotPassword, resetPassword, changePassword }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(
    Layer.provide([AuthRepo.layer, UsersRepo.layer, Passwords.layer, AccessTokens.layer, Transactions.layer])
  )
}

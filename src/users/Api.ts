import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, NotFound, RateLimited, Unauthorized } from "../domain/Errors.ts"
import {
  City,
  ContactMethod,
  PersonName,
  PhoneNumber,
  PostalCode,
  ProvinceCode,
  Role,
  UserId,
  UserStatus,
  VerificationStatus
} from "../domain/User.ts"
import { Authentication } from "./Authentication.ts"

/** `{User}` of API.md, plus `verification_status` (providers; `null` for others) so admins see what they set. */
export const UserView = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  name: Schema.String,
  role: Role,
  status: UserStatus,
  verification_status: Schema.NullOr(VerificationStatus),
  is_email_verified: Schema.Boolean,
  phone_number: Schema.NullOr(Schema.String),
  city: Schema.NullOr(Schema.String),
  postal_code: Schema.NullOr(Schema.String),
  province_code: Schema.NullOr(Schema.String),
  preferred_contact_method: ContactMethod,
  profile_image_file_id: Schema.NullOr(Schema.String),
  created_at: Schema.String
})
export type UserView = typeof UserView.Type

export const Rating = Schema.Struct({ average: Schema.Number, count: Schema.Number })

export const PublicUserView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  role: Role,
  city: Schema.NullOr(Schema.String),
  province_code: Schema.NullOr(Schema.String),
  rating: Schema.NullOr(Rating)
})
export type PublicUserView = typeof PublicUserView.Type

export const ProfileUpdate = Schema.Struct({
  name: Schema.optional(PersonName),
  phone_number: Schema.optional(Schema.NullOr(PhoneNumber)),
  city: Schema.optional(Schema.NullOr(City)),
  postal_code: Schema.optional(Schema.NullOr(PostalCode)),
  province_code: Schema.optional(Schema.NullOr(ProvinceCode)),
  preferred_contact_method: Schema.optional(ContactMethod),
  profile_image_file_id: Schema.optional(Schema.NullOr(Schema.String.check(Schema.isUUID())))
})
export type ProfileUpdate = typeof ProfileUpdate.Type

/** A change that the stored state does not allow (422), e.g. verifying a client. */
export class UserRuleViolation extends Schema.TaggedError<UserRuleViolation>()("UserRuleViolation", {
  message: Schema.String,
  rule: Schema.Literals(["not_a_provider", "profile_image_not_owned", "own_status"])
}, { httpApiStatus: 422 }) {}

export class UsersApi extends HttpApiGroup.make("users")
  .add(
    HttpApiEndpoint.get("me", "/users/me", {
      success: UserView
    }).middleware(Authentication),
    HttpApiEndpoint.patch("updateMe", "/users/me", {
      payload: ProfileUpdate,
      success: UserView,
      error: [BadRequest, UserRuleViolation]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Partial update of the caller's profile: an absent field is kept, `null` clears it. Postal codes are stored as `A1A1A1`, province codes in upper case."),
    HttpApiEndpoint.get("publicProfile", "/users/:id", {
      params: { id: UserId },
      success: PublicUserView,
      error: NotFound
    }).annotate(OpenApi.Description, "The public view of a user; `rating` is `null` until a visible review exists. 404 for deleted or unknown users."),
    HttpApiEndpoint.patch("setStatus", "/users/:id/status", {
      params: { id: UserId },
      payload: Schema.Struct({ status: UserStatus }),
      success: UserView,
      error: [Forbidden, NotFound, UserRuleViolation]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Admin only. Suspending a user revokes their refresh tokens, and their access tokens stop working at once; an admin cannot change their own status (422)."),
    HttpApiEndpoint.patch("setVerification", "/users/:id/verification", {
      params: { id: UserId },
      payload: Schema.Struct({ verification_status: Schema.Literals(["approved", "rejected"]) }),
      success: UserView,
      error: [Forbidden, NotFound, UserRuleViolation]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Admin only, for providers (another role → 422 `not_a_provider`).")
  )
  .annotate(OpenApi.Title, "Users")
{}

const Email = Schema.Trim.pipe(Schema.check(
  Schema.isMaxLength(254, { message: "at most 254 characters" }),
  Schema.isPattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { message: "an email address such as name@example.ca" })
))

/** 8–128 characters with a lowercase letter, an uppercase letter, a digit and a symbol. */
export const NewPassword = Schema.String.pipe(Schema.check(
  Schema.isMinLength(8, { message: "at least 8 characters" }),
  Schema.isMaxLength(128, { message: "at most 128 characters" }),
  Schema.isPattern(/[a-z]/, { message: "a lowercase letter" }),
  Schema.isPattern(/[A-Z]/, { message: "an uppercase letter" }),
  Schema.isPattern(/[0-9]/, { message: "a digit" }),
  Schema.isPattern(/[^A-Za-z0-9]/, { message: "a symbol" })
))

export const Registration = Schema.Struct({
  email: Email,
  password: NewPassword,
  name: PersonName,
  role: Schema.Literals(["client", "provider"]).annotate({ description: "admin accounts cannot be self-registered" }),
  phone_number: Schema.optional(PhoneNumber),
  city: Schema.optional(City),
  postal_code: Schema.optional(PostalCode),
  province_code: Schema.optional(ProvinceCode)
})
export type Registration = typeof Registration.Type

export const TokenPair = Schema.Struct({
  access_token: Schema.String,
  refresh_token: Schema.String,
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Number
})

export const SessionView = Schema.Struct({
  id: Schema.String,
  created_at: Schema.String,
  expires_at: Schema.String,
  last_used_at: Schema.NullOr(Schema.String),
  user_agent: Schema.NullOr(Schema.String)
})

export class EmailTaken extends Schema.TaggedError<EmailTaken>()("EmailTaken", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {
  message: Schema.String
}, { httpApiStatus: 401 }) {}

export class AccountSuspended extends Schema.TaggedError<AccountSuspended>()("AccountSuspended", {
  message: Schema.String
}, { httpApiStatus: 403 }) {}

/** A verification or reset token that is unknown, used or expired (400, as API.md says). */
export class InvalidToken extends Schema.TaggedError<InvalidToken>()("InvalidToken", {
  message: Schema.String
}, { httpApiStatus: 400 }) {}

const OneTimeToken = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

const RefreshTokenBody = Schema.Struct({ refresh_token: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)) })

export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("register", "/auth/register", {
      payload: Registration,
      success: UserView.pipe(HttpApiSchema.status(201)),
      error: [EmailTaken, RateLimited]
    }).annotate(OpenApi.Description, "Creates a client or provider account and sends, in the same transaction, a welcome and a verification email. 5 per minute from one address."),
    HttpApiEndpoint.post("login", "/auth/login", {
      payload: Schema.Struct({ email: Schema.Trim, password: Schema.String.check(Schema.isMaxLength(1024)) }),
      headers: { "user-agent": Schema.optional(Schema.String) },
      success: TokenPair,
      error: [InvalidCredentials, AccountSuspended, RateLimited]
    }).annotate(OpenApi.Description, "Wrong email and wrong password answer alike (401), in the same time. 5 failures for one email within 15 min, or 10 logins per minute from one address, answer 429 with `Retry-After`."),
    HttpApiEndpoint.post("refresh", "/auth/refresh", {
      payload: RefreshTokenBody,
      success: TokenPair,
      error: [Unauthorized, RateLimited]
    }).annotate(OpenApi.Description, "Rotates the refresh token; presenting one that was already rotated revokes its whole login family."),
    HttpApiEndpoint.post("logout", "/auth/logout", {
      payload: RefreshTokenBody,
      success: HttpApiSchema.NoContent
    }).middleware(Authentication),
    HttpApiEndpoint.post("logoutAll", "/auth/logout-all", {
      success: HttpApiSchema.NoContent
    }).middleware(Authentication),
    HttpApiEndpoint.post("verifyEmail", "/auth/verify-email", {
      payload: Schema.Struct({ token: OneTimeToken }),
      success: HttpApiSchema.NoContent,
      error: InvalidToken
    }).annotate(OpenApi.Description, "The token of the verification email: valid 24 h, single use."),
    HttpApiEndpoint.post("forgotPassword", "/auth/forgot-password", {
      payload: Schema.Struct({ email: Schema.Trim.check(Schema.isMaxLength(254)) }),
      success: HttpApiSchema.Accepted
    }).annotate(OpenApi.Description, "Answers 202 whether or not the email has an account; an active account gets a reset email valid 1 h."),
    HttpApiEndpoint.post("resetPassword", "/auth/reset-password", {
      payload: Schema.Struct({ token: OneTimeToken, new_password: NewPassword }),
      success: HttpApiSchema.NoContent,
      error: InvalidToken
    }).annotate(OpenApi.Description, "Single use; signs out every session of the account."),
    HttpApiEndpoint.post("changePassword", "/auth/change-password", {
      payload: Schema.Struct({ old_password: Schema.String.check(Schema.isMaxLength(1024)), new_password: NewPassword }),
      success: HttpApiSchema.NoContent,
      error: InvalidCredentials.pipe(HttpApiSchema.status(400))
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "A wrong old password answers 400 `InvalidCredentials`; success signs out every session."),
    HttpApiEndpoint.get("sessions", "/auth/sessions", {
      success: Schema.Array(SessionView)
    }).middleware(Authentication)
  )
  .annotate(OpenApi.Title, "Auth")
{}

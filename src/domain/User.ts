/**
 * Users: ids, roles, standing, and the field rules of API.md that every
 * route shares (strings are trimmed before they are checked and stored so).
 */
import { Schema, type SchemaAST, SchemaGetter } from "effect"

export const UserId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

export const Role = Schema.Literals(["client", "provider", "admin"])
export type Role = typeof Role.Type

export const UserStatus = Schema.Literals(["active", "suspended"])
export type UserStatus = typeof UserStatus.Type

export const VerificationStatus = Schema.Literals(["pending", "approved", "rejected"])
export type VerificationStatus = typeof VerificationStatus.Type

export const ContactMethod = Schema.Literals(["email", "sms", "phone"])
export type ContactMethod = typeof ContactMethod.Type

export const provinceCodes = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"] as const

/** A trimmed string, rewritten by `f` once it has passed `check`. */
const trimmedThen = (f: (s: string) => string, check: SchemaAST.Check<string>) => {
  const checked = Schema.Trim.pipe(Schema.check(check))
  return checked.pipe(Schema.decode<typeof checked>({
    decode: SchemaGetter.transform(f),
    encode: SchemaGetter.transform((s: string) => s)
  }))
}

/** One of the 13 codes, in either case; decodes to upper case. */
export const ProvinceCode = trimmedThen(
  (s) => s.toUpperCase(),
  Schema.isPattern(new RegExp(`^(${provinceCodes.join("|")})$`, "i"), { message: `one of ${provinceCodes.join(", ")}` })
)

/** A Canadian postal code (`A1A 1A1`, any case, space or dash optional); decodes to `A1A1A1`. */
export const PostalCode = trimmedThen(
  (s) => s.toUpperCase().replace(/[ -]/g, ""),
  Schema.isPattern(/^[A-Za-z][0-9][A-Za-z][ -]?[0-9][A-Za-z][0-9]$/, { message: "a Canadian postal code such as K1A 0B1" })
)

export const PersonName = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(2, { message: "at least 2 characters" }),
  Schema.isMaxLength(100, { message: "at most 100 characters" })
))

export const PhoneNumber = Schema.Trim.pipe(Schema.check(
  Schema.isPattern(/^\+?[0-9]{7,15}$/, { message: "7 to 15 digits, optionally after a +" })
))

export const City = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(1, { message: "not empty" }),
  Schema.isMaxLength(100, { message: "at most 100 characters" })
))

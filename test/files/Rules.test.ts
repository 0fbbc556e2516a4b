/**
 * The pure rules of files: who sees one, what counts as plain text, and what
 * is kept of a client's file name.
 */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import type { UserId } from "../../src/domain/User.ts"
import { allowedTypes, canSee, displayName, isPlainText } from "../../src/files/Files.ts"

const owner = "00000000-0000-4000-8000-000000000001" as UserId
const receiver = "00000000-0000-4000-8000-000000000002" as UserId
const stranger = "00000000-0000-4000-8000-000000000003" as UserId
const as = (id: UserId, role: "client" | "provider" | "admin" = "client") => Option.some({ id, role })

describe("file rules", () => {
  it("avatars and item images are public; documents and attachments are not", () => {
    const file = (accessPurpose: "avatar" | "item_image" | "document" | "message_attachment") =>
      ({ accessPurpose, accessOwnerId: owner, messageSenderId: null, messageReceiverId: null })
    assert.isTrue(canSee(file("avatar"), Option.none()))
    assert.isTrue(canSee(file("item_image"), Option.none()))
    assert.isFalse(canSee(file("document"), Option.none()))
    assert.isFalse(canSee(file("document"), as(stranger)))
    assert.isTrue(canSee(file("document"), as(owner)))
    assert.isTrue(canSee(file("document"), as(stranger, "admin")))
  })

  it("a message attachment is the sender's and the receiver's, nobody else's", () => {
    const file = { accessPurpose: "message_attachment" as const, accessOwnerId: owner, messageSenderId: owner, messageReceiverId: receiver }
    assert.isTrue(canSee(file, as(receiver)))
    assert.isFalse(canSee(file, as(stranger, "provider")))
  })

  it("plain text is UTF-8 without control characters other than tab, newlines and form feed", () => {
    const bytes = (s: string) => new TextEncoder().encode(s)
    assert.isTrue(isPlainText(bytes("Bonjour, ça va?\r\n\tOui.\f")))
    assert.isFalse(isPlainText(bytes("nul\u0000byte")))
    assert.isFalse(isPlainText(Uint8Array.from([0x66, 0xff, 0xfe])))
  })

  it("only the last segment of a client's file name is kept, printable and at most 255 characters", () => {
    assert.strictEqual(displayName("../../etc/passwd"), "passwd")
    assert.strictEqual(displayName("C:\\Users\\ann\\photo.jpg"), "photo.jpg")
    assert.strictEqual(displayName(" re\u0007port.pdf "), "report.pdf")
    assert.isNull(displayName("dir/"))
    assert.strictEqual(displayName("é".repeat(300))!.length, 255)
  })

  it("images go everywhere; documents only as documents and attachments", () => {
    assert.notInclude(allowedTypes.avatar, "application/pdf")
    assert.include(allowedTypes.message_attachment, "text/plain")
    assert.include(allowedTypes.message_attachment, "image/webp")
    assert.notInclude(allowedTypes.document, "image/png")
  })
})

/**
 * Email and SMS texts. Each template names the variables it needs; a job that
 * lacks one fails permanently (retrying cannot supply it). HTML is derived
 * from the text with every variable escaped.
 */
import type { EmailTemplate, SmsTemplate } from "../domain/Job.ts"

type Variables = Readonly<Record<string, string>>

interface EmailDefinition {
  readonly required: ReadonlyArray<string>
  readonly subject: (v: Variables) => string
  readonly body: (v: Variables) => ReadonlyArray<string>
}

const email: Record<EmailTemplate, EmailDefinition> = {
  welcome: {
    required: ["name"],
    subject: () => "Welcome to MapleHustle",
    body: (v) => [
      `Hi ${v.name},`,
      "Welcome to MapleHustle, where neighbours book trusted providers for dog walking, house sitting, lawn care, cleaning and errands, and buy handmade goods.",
      "Please confirm your email address with the separate message we just sent."
    ]
  },
  email_verification: {
    required: ["name", "token", "link"],
    subject: () => "Confirm your email address",
    body: (v) => [
      `Hi ${v.name},`,
      `Confirm your email address by opening ${v.link}`,
      `or by entering this code: ${v.token}`,
      "The link is valid for 24 hours. If you did not create an account, ignore this message."
    ]
  },
  password_reset: {
    required: ["name", "token", "link"],
    subject: () => "Reset your password",
    body: (v) => [
      `Hi ${v.name},`,
      `Reset your password by opening ${v.link}`,
      `or by entering this code: ${v.token}`,
      "The link is valid for 1 hour. If you did not ask for it, ignore this message: your password is unchanged."
    ]
  },
  booking_request: {
    required: ["name", "service", "start", "client"],
    subject: (v) => `New booking request: ${v.service}`,
    body: (v) => [`Hi ${v.name},`, `${v.client} would like to book ${v.service} on ${v.start}.`, "Accept or decline it in the app."]
  },
  booking_accepted: {
    required: ["name", "service", "start"],
    subject: (v) => `Booking confirmed: ${v.service}`,
    body: (v) => [`Hi ${v.name},`, `Your booking of ${v.service} on ${v.start} is confirmed.`]
  },
  booking_canceled: {
    required: ["name", "service", "start", "reason"],
    subject: (v) => `Booking canceled: ${v.service}`,
    body: (v) => [`Hi ${v.name},`, `The booking of ${v.service} on ${v.start} was canceled.`, `Reason: ${v.reason}`]
  },
  booking_reminder: {
    required: ["name", "service", "start"],
    subject: (v) => `Reminder: ${v.service} tomorrow`,
    body: (v) => [`Hi ${v.name},`, `A reminder that ${v.service} is booked for ${v.start}.`]
  },
  order_confirmation: {
    required: ["name", "order_id", "total"],
    subject: (v) => `Order ${v.order_id} confirmed`,
    body: (v) => [`Hi ${v.name},`, `Thank you for your order ${v.order_id}.`, `Total: ${v.total} CAD (taxes included).`]
  },
  payment_receipt: {
    required: ["name", "payment_id", "amount"],
    subject: (v) => `Receipt for your payment of ${v.amount} CAD`,
    body: (v) => [
      `Hi ${v.name},`,
      `We received your payment of ${v.amount} CAD (reference ${v.payment_id}).`,
      "The funds are held in escrow until the service is completed or the order delivered."
    ]
  },
  daily_report: {
    required: ["date", "new_users", "new_providers", "bookings", "orders", "gross_revenue", "platform_revenue"],
    subject: (v) => `MapleHustle daily report for ${v.date}`,
    body: (v) => [
      `Daily report for ${v.date} (UTC):`,
      `New users: ${v.new_users} (of which providers: ${v.new_providers})`,
      `Bookings created: ${v.bookings}`,
      `Orders placed: ${v.orders}`,
      `Gross revenue: ${v.gross_revenue} CAD`,
      `Platform revenue: ${v.platform_revenue} CAD`
    ]
  }
}

const sms: Record<SmsTemplate, { readonly required: ReadonlyArray<string>; readonly body: (v: Variables) => string }> = {
  verification_code: { required: ["code"], body: (v) => `MapleHustle: your verification code is ${v.code}` },
  booking_confirmation: {
    required: ["service", "start"],
    body: (v) => `MapleHustle: your booking of ${v.service} on ${v.start} is confirmed.`
  },
  booking_reminder: {
    required: ["service", "start"],
    body: (v) => `MapleHustle reminder: ${v.service} on ${v.start}.`
  },
  payment_confirmation: {
    required: ["amount"],
    body: (v) => `MapleHustle: payment of ${v.amount} CAD received. Thank you!`
  }
}

const missing = (required: ReadonlyArray<string>, variables: Variables) =>
  required.filter((name) => variables[name] === undefined || variables[name] === "")

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;").replaceAll("'", "&#39;")

export type Rendered<A> = { readonly _tag: "Rendered"; readonly value: A } | { readonly _tag: "Missing"; readonly names: ReadonlyArray<string> }

export const renderEmail = (
  template: EmailTemplate,
  variables: Variables
): Rendered<{ readonly subject: string; readonly text: string; readonly html: string }> => {
  const definition = email[template]
  const absent = missing(definition.required, variables)
  if (absent.length > 0) return { _tag: "Missing", names: absent }
  return { _tag: "Rendered", value: page(definition.subject(variables), definition.body(variables)) }
}

const notificationSubjects: Record<string, string> = {
  booking_request: "New booking request",
  booking_accepted: "Your booking was accepted",
  booking_completed: "Your booking is complete",
  booking_canceled: "A booking was canceled",
  booking_reminder: "Booking reminder",
  message_received: "You have a new message",
  payment_received: "Payment received",
  payment_released: "Payment released",
  review_reminder: "How did it go? Leave a review",
  order_update: "Your order was updated"
}

/** The email form of an in-app notification. */
export const renderNotificationEmail = (type: string, name: string, content: string) =>
  page(notificationSubjects[type] ?? "MapleHustle notification", [`Hi ${name},`, content])

const page = (subject: string, paragraphs: ReadonlyArray<string>) => ({
  subject,
  text: `${paragraphs.join("\n\n")}\n\n— MapleHustle\n`,
  html: `<!doctype html><html><body style="font-family:sans-serif">${
    paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")
  }<p>— MapleHustle</p></body></html>`
})

export const renderSms = (template: SmsTemplate, variables: Variables): Rendered<string> => {
  const definition = sms[template]
  const absent = missing(definition.required, variables)
  return absent.length > 0 ? { _tag: "Missing", names: absent } : { _tag: "Rendered", value: definition.body(variables) }
}

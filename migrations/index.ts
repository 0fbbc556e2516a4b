/**
 * Every migration, in order, for `PgMigrator.fromRecord`. Append-only: a
 * merged migration is never edited; a change is a new file.
 */
import m00001 from "./00001_extensions_and_provinces.ts"
import m00002 from "./00002_users_and_tokens.ts"
import m00003 from "./00003_services_and_availability.ts"
import m00004 from "./00004_bookings.ts"
import m00005 from "./00005_items_and_orders.ts"
import m00006 from "./00006_payments.ts"
import m00007 from "./00007_messages_reviews_notifications.ts"
import m00008 from "./00008_files.ts"
import m00009 from "./00009_jobs_cron_reports.ts"
import m00010 from "./00010_completed_jobs.ts"
import m00011 from "./00011_deleted_users_take_their_listings.ts"
import m00012 from "./00012_idempotent_responses_verbatim.ts"
import m00013 from "./00013_lookup_indexes.ts"

export const migrations = {
  "00001_extensions_and_provinces": m00001,
  "00002_users_and_tokens": m00002,
  "00003_services_and_availability": m00003,
  "00004_bookings": m00004,
  "00005_items_and_orders": m00005,
  "00006_payments": m00006,
  "00007_messages_reviews_notifications": m00007,
  "00008_files": m00008,
  "00009_jobs_cron_reports": m00009,
  "00010_completed_jobs": m00010,
  "00011_deleted_users_take_their_listings": m00011,
  "00012_idempotent_responses_verbatim": m00012,
  "00013_lookup_indexes": m00013
}

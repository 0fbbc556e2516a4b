import { ddl, updatedAtTrigger } from "./ddl.ts"

/**
 * Messages between users, reviews of completed bookings, and notifications
 * with per-user preferences and a log of every delivery attempt.
 */
export default ddl(
  `CREATE TABLE messages (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     sender_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     receiver_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     booking_id uuid REFERENCES bookings (id) ON DELETE SET NULL,
     content text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 5000 AND btrim(content) <> ''),
     read_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT messages_not_to_self CHECK (sender_id <> receiver_id)
   )`,
  `CREATE INDEX messages_thread_idx ON messages
     (LEAST(sender_id, receiver_id), GREATEST(sender_id, receiver_id), created_at DESC, id DESC)`,
  `CREATE INDEX messages_sender_idx ON messages (sender_id, created_at DESC, id DESC)`,
  `CREATE INDEX messages_receiver_idx ON messages (receiver_id, created_at DESC, id DESC)`,
  `CREATE INDEX messages_unread_idx ON messages (receiver_id, sender_id) WHERE read_at IS NULL`,
  `CREATE INDEX messages_booking_idx ON messages (booking_id, created_at DESC, id DESC) WHERE booking_id IS NOT NULL`,
  `CREATE TYPE review_direction AS ENUM ('client_to_provider', 'provider_to_client')`,
  `CREATE TYPE review_status AS ENUM ('visible', 'hidden')`,
  `CREATE TABLE reviews (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     booking_id uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
     reviewer_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     reviewee_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     direction review_direction NOT NULL,
     rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
     comment text CHECK (char_length(comment) BETWEEN 10 AND 1000),
     status review_status NOT NULL DEFAULT 'visible',
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT reviews_one_per_direction UNIQUE (booking_id, direction),
     CONSTRAINT reviews_not_self CHECK (reviewer_id <> reviewee_id)
   )`,
  `CREATE INDEX reviews_reviewee_idx ON reviews (reviewee_id, created_at DESC, id DESC) WHERE status = 'visible'`,
  `CREATE INDEX reviews_reviewer_idx ON reviews (reviewer_id)`,
  updatedAtTrigger("reviews"),
  `CREATE TYPE notification_type AS ENUM ('booking_request', 'booking_accepted', 'booking_completed',
     'booking_canceled', 'booking_reminder', 'message_received', 'payment_received', 'payment_released',
     'review_reminder', 'order_update')`,
  `CREATE TYPE notification_channel AS ENUM ('in_app', 'email', 'sms')`,
  `CREATE TYPE notification_status AS ENUM ('unread', 'read')`,
  `CREATE TABLE notifications (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     type notification_type NOT NULL,
     content text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 2000),
     channel notification_channel NOT NULL DEFAULT 'in_app',
     status notification_status NOT NULL DEFAULT 'unread',
     read_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     CHECK ((status = 'read') = (read_at IS NOT NULL))
   )`,
  `CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC)`,
  `CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC, id DESC) WHERE status = 'unread'`,
  `CREATE INDEX notifications_created_at_idx ON notifications (created_at)`,
  `CREATE TABLE notification_preferences (
     user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
     notify_on_new_message boolean NOT NULL DEFAULT true,
     notify_on_booking_update boolean NOT NULL DEFAULT true,
     notify_on_payment boolean NOT NULL DEFAULT false,
     notify_on_review_reminder boolean NOT NULL DEFAULT false,
     notify_by_email boolean NOT NULL DEFAULT true,
     notify_by_sms boolean NOT NULL DEFAULT false,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  updatedAtTrigger("notification_preferences"),
  `CREATE TYPE delivery_status AS ENUM ('sent', 'failed')`,
  `CREATE TABLE notification_deliveries (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
     channel notification_channel NOT NULL,
     status delivery_status NOT NULL,
     attempt integer NOT NULL CHECK (attempt >= 1),
     error text,
     created_at timestamptz NOT NULL DEFAULT now(),
     CHECK ((status = 'failed') = (error IS NOT NULL))
   )`,
  `CREATE INDEX notification_deliveries_notification_idx ON notification_deliveries (notification_id, created_at)`,
  `CREATE UNIQUE INDEX notification_deliveries_sent_once ON notification_deliveries (notification_id, channel)
     WHERE status = 'sent'`
)

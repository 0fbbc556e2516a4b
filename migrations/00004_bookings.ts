import { ddl, updatedAtTrigger } from "./ddl.ts"

/**
 * Bookings and their audit trail. No two pending or accepted bookings of one
 * provider overlap: the exclusion constraint holds under any concurrency, so
 * the application never checks-then-inserts. Money is numeric, never float;
 * the fee is part of what the client pays.
 */
export default ddl(
  `CREATE TYPE booking_status AS ENUM ('pending', 'accepted', 'completed', 'canceled')`,
  `CREATE TABLE bookings (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     client_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
     provider_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
     service_id uuid NOT NULL REFERENCES services (id) ON DELETE RESTRICT,
     period tstzrange NOT NULL CHECK (
       lower_inc(period) AND NOT upper_inc(period) AND NOT lower_inf(period) AND NOT upper_inf(period)
       AND NOT isempty(period)
     ),
     status booking_status NOT NULL DEFAULT 'pending',
     total_amount numeric(12, 2) NOT NULL CHECK (total_amount >= 0),
     platform_fee numeric(12, 2) NOT NULL CHECK (platform_fee >= 0 AND platform_fee <= total_amount),
     currency char(3) NOT NULL DEFAULT 'CAD' CHECK (currency = 'CAD'),
     notes text CHECK (char_length(notes) <= 2000),
     cancellation_reason text CHECK (char_length(cancellation_reason) <= 1000),
     accepted_at timestamptz,
     completed_at timestamptz,
     canceled_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT bookings_parties_differ CHECK (client_id <> provider_id),
     CONSTRAINT bookings_no_overlap EXCLUDE USING gist (provider_id WITH =, period WITH &&)
       WHERE (status IN ('pending', 'accepted'))
   )`,
  `CREATE INDEX bookings_client_idx ON bookings (client_id, created_at DESC, id DESC)`,
  `CREATE INDEX bookings_provider_idx ON bookings (provider_id, created_at DESC, id DESC)`,
  `CREATE INDEX bookings_service_idx ON bookings (service_id, created_at DESC, id DESC)`,
  `CREATE INDEX bookings_open_start_idx ON bookings (lower(period)) WHERE status IN ('pending', 'accepted')`,
  `CREATE INDEX bookings_completed_idx ON bookings (completed_at) WHERE status = 'completed'`,
  updatedAtTrigger("bookings"),
  `CREATE TABLE booking_history (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     booking_id uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
     actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
     actor_role text NOT NULL CHECK (actor_role IN ('client', 'provider', 'admin', 'system')),
     from_status booking_status,
     to_status booking_status NOT NULL,
     request_id text,
     at timestamptz NOT NULL DEFAULT now(),
     CHECK (from_status IS DISTINCT FROM to_status)
   )`,
  `CREATE INDEX booking_history_booking_idx ON booking_history (booking_id, at)`
)

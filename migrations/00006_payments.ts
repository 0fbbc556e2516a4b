import { ddl, updatedAtTrigger } from "./ddl.ts"

/**
 * Escrowed payments, refunds and idempotency keys.
 * - One successful payment per booking or order: partial unique indexes.
 * - Refunds never exceed the captured amount: each refund row adds itself to
 *   `payments.refunded_amount` in a trigger, and a CHECK bounds that sum, so an
 *   over-refund fails inside the refund's own INSERT whatever the concurrency.
 */
export default ddl(
  `CREATE TYPE payment_status AS ENUM ('held', 'released', 'partially_refunded', 'refunded', 'failed')`,
  `CREATE TABLE payments (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     payer_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
     payee_id uuid REFERENCES users (id) ON DELETE RESTRICT,
     booking_id uuid REFERENCES bookings (id) ON DELETE RESTRICT,
     order_id uuid REFERENCES orders (id) ON DELETE RESTRICT,
     amount numeric(12, 2) NOT NULL CHECK (amount > 0),
     refunded_amount numeric(12, 2) NOT NULL DEFAULT 0,
     currency char(3) NOT NULL DEFAULT 'CAD' CHECK (currency = 'CAD'),
     status payment_status NOT NULL,
     gateway_ref text,
     failure_reason text,
     released_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT payments_one_subject CHECK (num_nonnulls(booking_id, order_id) = 1),
     CONSTRAINT payments_refund_bounded CHECK (refunded_amount >= 0 AND refunded_amount <= amount)
   )`,
  `CREATE UNIQUE INDEX payments_one_per_booking ON payments (booking_id) WHERE booking_id IS NOT NULL AND status <> 'failed'`,
  `CREATE UNIQUE INDEX payments_one_per_order ON payments (order_id) WHERE order_id IS NOT NULL AND status <> 'failed'`,
  `CREATE INDEX payments_payer_idx ON payments (payer_id, created_at DESC, id DESC)`,
  `CREATE INDEX payments_payee_idx ON payments (payee_id, created_at DESC, id DESC)`,
  `CREATE INDEX payments_held_idx ON payments (created_at) WHERE status = 'held'`,
  updatedAtTrigger("payments"),
  `CREATE TABLE refunds (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     payment_id uuid NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
     amount numeric(12, 2) NOT NULL CHECK (amount > 0),
     reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
     created_by uuid REFERENCES users (id) ON DELETE SET NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX refunds_payment_idx ON refunds (payment_id, created_at)`,
  `CREATE FUNCTION refunds_add_to_payment() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE payments SET refunded_amount = refunded_amount + NEW.amount WHERE id = NEW.payment_id;
     RETURN NEW;
   END
   $$`,
  `CREATE TRIGGER refunds_add_to_payment AFTER INSERT ON refunds
     FOR EACH ROW EXECUTE FUNCTION refunds_add_to_payment()`,
  `CREATE TABLE idempotency_keys (
     user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     scope text NOT NULL,
     key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
     fingerprint bytea NOT NULL,
     response_status smallint,
     response_body jsonb,
     created_at timestamptz NOT NULL DEFAULT now(),
     expires_at timestamptz NOT NULL DEFAULT now() + interval '24 hours',
     PRIMARY KEY (user_id, scope, key),
     CHECK ((response_status IS NULL) = (response_body IS NULL))
   )`,
  `CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`
)

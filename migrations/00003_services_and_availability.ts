import { ddl, updatedAtTrigger } from "./ddl.ts"

/**
 * What providers offer and when they are free. Search runs on a stored,
 * weighted tsvector (title A, description B) behind a GIN index. A provider's
 * availability slots never overlap: an exclusion constraint on half-open
 * `tstzrange`s guarantees it, so touching slots are fine.
 */
export default ddl(
  `CREATE TYPE service_type AS ENUM
     ('dog_sitting', 'dog_walking', 'house_sitting', 'lawn_maintenance', 'house_cleaning', 'errands')`,
  `CREATE TYPE service_status AS ENUM ('active', 'inactive')`,
  `CREATE TABLE services (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     provider_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     type service_type NOT NULL,
     title text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200 AND title = btrim(title)),
     description text NOT NULL CHECK (char_length(description) <= 5000),
     terms text CHECK (char_length(terms) <= 5000),
     hourly_rate numeric(10, 2) CHECK (hourly_rate BETWEEN 0 AND 1000),
     daily_rate numeric(10, 2) CHECK (daily_rate BETWEEN 0 AND 5000),
     is_featured boolean NOT NULL DEFAULT false,
     status service_status NOT NULL DEFAULT 'active',
     search tsvector GENERATED ALWAYS AS (
       setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')
     ) STORED,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     deleted_at timestamptz,
     CONSTRAINT services_has_a_rate CHECK (hourly_rate IS NOT NULL OR daily_rate IS NOT NULL)
   )`,
  `CREATE INDEX services_search_idx ON services USING gin (search) WHERE deleted_at IS NULL`,
  `CREATE INDEX services_newest_idx ON services (created_at DESC, id DESC) WHERE deleted_at IS NULL`,
  `CREATE INDEX services_provider_idx ON services (provider_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`,
  `CREATE INDEX services_type_idx ON services (type, created_at DESC, id DESC) WHERE deleted_at IS NULL`,
  `CREATE INDEX services_hourly_rate_idx ON services (hourly_rate, id) WHERE deleted_at IS NULL`,
  `CREATE INDEX services_featured_idx ON services (created_at DESC, id DESC) WHERE is_featured AND deleted_at IS NULL`,
  `CREATE INDEX services_title_prefix_idx ON services (lower(title) text_pattern_ops) WHERE deleted_at IS NULL`,
  updatedAtTrigger("services"),
  `CREATE TABLE availability_slots (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     provider_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     period tstzrange NOT NULL CHECK (
       lower_inc(period) AND NOT upper_inc(period) AND NOT lower_inf(period) AND NOT upper_inf(period)
       AND upper(period) - lower(period) BETWEEN interval '15 minutes' AND interval '24 hours'
     ),
     created_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT availability_slots_no_overlap EXCLUDE USING gist (provider_id WITH =, period WITH &&)
   )`
)

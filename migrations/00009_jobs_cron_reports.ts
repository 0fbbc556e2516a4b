import { ddl } from "./ddl.ts"

/**
 * The job queue, cron state and daily reports.
 *
 * Jobs are rows written in the business transaction that wants them. Workers
 * claim `pending` rows whose `run_at` has come with `FOR UPDATE SKIP LOCKED`
 * (`jobs_claim_idx` holds only those), hold a lease while running and record
 * the outcome in place; finished rows stay for the history until cleaned.
 * A key deduplicates: at most one pending or running job per key.
 * Cron ticks are claimed by advancing `cron_schedules.last_tick_at` with a
 * conditional UPDATE, so each tick is enqueued once across all workers.
 */
export default ddl(
  `CREATE TYPE job_status AS ENUM ('pending', 'running', 'succeeded', 'dead', 'canceled')`,
  `CREATE TABLE jobs (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     queue text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z_]{1,32}$'),
     task text NOT NULL CHECK (char_length(task) BETWEEN 1 AND 100),
     payload jsonb NOT NULL,
     status job_status NOT NULL DEFAULT 'pending',
     priority smallint NOT NULL DEFAULT 0,
     run_at timestamptz NOT NULL DEFAULT now(),
     attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
     max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
     key text CHECK (char_length(key) BETWEEN 1 AND 512),
     locked_by text,
     lease_expires_at timestamptz,
     last_error text,
     last_error_at timestamptz,
     trace_context jsonb,
     created_at timestamptz NOT NULL DEFAULT now(),
     started_at timestamptz,
     finished_at timestamptz,
     duration_ms integer CHECK (duration_ms >= 0),
     CONSTRAINT jobs_lease_while_running CHECK ((status = 'running') = (lease_expires_at IS NOT NULL)),
     CONSTRAINT jobs_finished_when_final CHECK ((status IN ('succeeded', 'dead', 'canceled')) = (finished_at IS NOT NULL))
   )`,
  // Every job is written three times (insert, claim, outcome): vacuum this table early and often, or
  // dead tuples pile up in the claim index and claims slow down (measured: 3× slower after 200k jobs).
  `ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 5000,
     autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0)`,
  `CREATE INDEX jobs_claim_idx ON jobs (queue, priority DESC, run_at, id) WHERE status = 'pending'`,
  `CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'running'`,
  `CREATE UNIQUE INDEX jobs_key_idx ON jobs (key) WHERE key IS NOT NULL AND status IN ('pending', 'running')`,
  `CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL`,
  // Ops lists newest first through the primary key; jobs that need a person have their own index.
  // (A full (queue, status) index would take two extra index writes per job on the hot path.)
  `CREATE INDEX jobs_attention_idx ON jobs (queue, id DESC) WHERE status IN ('dead', 'canceled')`,
  `CREATE INDEX jobs_errors_idx ON jobs (last_error_at) WHERE last_error_at IS NOT NULL`,
  `CREATE TABLE cron_schedules (
     name text PRIMARY KEY CHECK (name ~ '^[a-z0-9_.-]{1,64}$'),
     schedule text NOT NULL,
     last_tick_at timestamptz,
     last_job_id bigint REFERENCES jobs (id) ON DELETE SET NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE daily_reports (
     report_date date PRIMARY KEY,
     new_users integer NOT NULL CHECK (new_users >= 0),
     new_providers integer NOT NULL CHECK (new_providers >= 0),
     bookings_by_status jsonb NOT NULL,
     orders integer NOT NULL CHECK (orders >= 0),
     gross_revenue numeric(14, 2) NOT NULL CHECK (gross_revenue >= 0),
     platform_revenue numeric(14, 2) NOT NULL CHECK (platform_revenue >= 0),
     created_at timestamptz NOT NULL DEFAULT now()
   )`
)

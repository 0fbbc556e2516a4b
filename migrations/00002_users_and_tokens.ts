import { ddl, updatedAtTrigger } from "./ddl.ts"

/**
 * Accounts and their credentials. Secrets are never stored: passwords as
 * argon2/scrypt hashes, tokens as SHA-256 digests. Users are soft-deleted
 * (`deleted_at`) so bookings, orders and payments keep their parties.
 * A provider's rating is an aggregate (`rating_sum`, `rating_count`) updated in
 * the transaction that adds or hides a review, never an AVG per read.
 */
export default ddl(
  `CREATE TYPE user_role AS ENUM ('client', 'provider', 'admin')`,
  `CREATE TYPE user_status AS ENUM ('active', 'suspended')`,
  `CREATE TYPE verification_status AS ENUM ('pending', 'approved', 'rejected')`,
  `CREATE TYPE contact_method AS ENUM ('email', 'sms', 'phone')`,
  `CREATE TABLE users (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     email citext NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND char_length(email) <= 254),
     password_hash text NOT NULL,
     name text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100 AND name = btrim(name)),
     role user_role NOT NULL,
     status user_status NOT NULL DEFAULT 'active',
     verification_status verification_status,
     email_verified_at timestamptz,
     phone_number text CHECK (phone_number ~ '^\\+?[0-9]{7,15}$'),
     city text CHECK (char_length(city) BETWEEN 1 AND 100),
     postal_code char(6) CHECK (postal_code ~ '^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$'),
     province_code char(2) REFERENCES canadian_provinces (code) ON DELETE RESTRICT,
     preferred_contact_method contact_method NOT NULL DEFAULT 'email',
     profile_image_file_id uuid,
     rating_sum integer NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
     rating_count integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
     password_changed_at timestamptz NOT NULL DEFAULT now(),
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     deleted_at timestamptz,
     CONSTRAINT users_verification_only_for_providers
       CHECK ((role = 'provider') = (verification_status IS NOT NULL)),
     CONSTRAINT users_rating_consistent CHECK (rating_sum BETWEEN rating_count AND 5 * rating_count)
   )`,
  `CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL`,
  `CREATE INDEX users_providers_idx ON users (created_at DESC, id DESC)
     WHERE role = 'provider' AND deleted_at IS NULL`,
  `CREATE INDEX users_province_city_idx ON users (province_code, city) WHERE deleted_at IS NULL`,
  `CREATE INDEX users_created_at_idx ON users (created_at)`,
  updatedAtTrigger("users"),
  `CREATE TABLE refresh_tokens (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     family_id uuid NOT NULL,
     token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
     parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
     user_agent text CHECK (char_length(user_agent) <= 512),
     created_at timestamptz NOT NULL DEFAULT now(),
     last_used_at timestamptz,
     expires_at timestamptz NOT NULL,
     rotated_at timestamptz,
     revoked_at timestamptz,
     revoked_reason text CHECK (revoked_reason IN ('logout', 'logout_all', 'rotated_reuse', 'evicted', 'password_changed', 'suspended')),
     CHECK (expires_at > created_at)
   )`,
  `CREATE INDEX refresh_tokens_active_idx ON refresh_tokens (user_id, created_at)
     WHERE revoked_at IS NULL AND rotated_at IS NULL`,
  `CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`,
  `CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at)`,
  `CREATE TYPE user_token_purpose AS ENUM ('email_verification', 'password_reset')`,
  `CREATE TABLE user_tokens (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     purpose user_token_purpose NOT NULL,
     token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
     created_at timestamptz NOT NULL DEFAULT now(),
     expires_at timestamptz NOT NULL,
     used_at timestamptz,
     CHECK (expires_at > created_at),
     CHECK (used_at IS NULL OR used_at >= created_at)
   )`,
  `CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose) WHERE used_at IS NULL`,
  `CREATE INDEX user_tokens_expires_idx ON user_tokens (expires_at)`
)

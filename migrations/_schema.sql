\restrict 275AwCMjlqmxsJCIQfn2bSRQEFnedXwoNgGeHtfqcII0hjopblKdRohX18LBjTq

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

CREATE TYPE public.booking_status AS ENUM (
    'pending',
    'accepted',
    'completed',
    'canceled'
);

CREATE TYPE public.contact_method AS ENUM (
    'email',
    'sms',
    'phone'
);

CREATE TYPE public.delivery_status AS ENUM (
    'sent',
    'failed'
);

CREATE TYPE public.file_purpose AS ENUM (
    'avatar',
    'item_image',
    'message_attachment',
    'document',
    'thumbnail'
);

CREATE TYPE public.job_status AS ENUM (
    'pending',
    'running',
    'succeeded',
    'dead',
    'canceled'
);

CREATE TYPE public.notification_channel AS ENUM (
    'in_app',
    'email',
    'sms'
);

CREATE TYPE public.notification_status AS ENUM (
    'unread',
    'read'
);

CREATE TYPE public.notification_type AS ENUM (
    'booking_request',
    'booking_accepted',
    'booking_completed',
    'booking_canceled',
    'booking_reminder',
    'message_received',
    'payment_received',
    'payment_released',
    'review_reminder',
    'order_update'
);

CREATE TYPE public.order_status AS ENUM (
    'pending',
    'paid',
    'shipped',
    'delivered',
    'canceled',
    'refunded'
);

CREATE TYPE public.payment_status AS ENUM (
    'held',
    'released',
    'partially_refunded',
    'refunded',
    'failed'
);

CREATE TYPE public.review_direction AS ENUM (
    'client_to_provider',
    'provider_to_client'
);

CREATE TYPE public.review_status AS ENUM (
    'visible',
    'hidden'
);

CREATE TYPE public.service_status AS ENUM (
    'active',
    'inactive'
);

CREATE TYPE public.service_type AS ENUM (
    'dog_sitting',
    'dog_walking',
    'house_sitting',
    'lawn_maintenance',
    'house_cleaning',
    'errands'
);

CREATE TYPE public.user_role AS ENUM (
    'client',
    'provider',
    'admin'
);

CREATE TYPE public.user_status AS ENUM (
    'active',
    'suspended'
);

CREATE TYPE public.user_token_purpose AS ENUM (
    'email_verification',
    'password_reset'
);

CREATE TYPE public.verification_status AS ENUM (
    'pending',
    'approved',
    'rejected'
);

CREATE FUNCTION public.refunds_add_to_payment() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
   BEGIN
     UPDATE payments SET refunded_amount = refunded_amount + NEW.amount WHERE id = NEW.payment_id;
     RETURN NEW;
   END
   $$;

CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
   BEGIN
     NEW.updated_at := now();
     RETURN NEW;
   END
   $$;

CREATE FUNCTION public.users_delete_listings() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
   BEGIN
     UPDATE services SET deleted_at = NEW.deleted_at WHERE provider_id = NEW.id AND deleted_at IS NULL;
     UPDATE items SET deleted_at = NEW.deleted_at WHERE provider_id = NEW.id AND deleted_at IS NULL;
     RETURN NULL;
   END
   $$;

CREATE TABLE public.completed_jobs (
    id bigint NOT NULL,
    queue text NOT NULL,
    task text NOT NULL,
    payload jsonb NOT NULL,
    priority smallint NOT NULL,
    run_at timestamp with time zone NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    key text,
    last_error text,
    last_error_at timestamp with time zone,
    trace_context jsonb,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone NOT NULL,
    duration_ms integer,
    CONSTRAINT completed_jobs_attempts_check CHECK ((attempts >= 1)),
    CONSTRAINT completed_jobs_duration_ms_check CHECK ((duration_ms >= 0))
)
WITH (autovacuum_vacuum_insert_scale_factor='0.05');

CREATE TABLE public.jobs (
    id bigint NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    task text NOT NULL,
    payload jsonb NOT NULL,
    status public.job_status DEFAULT 'pending'::public.job_status NOT NULL,
    priority smallint DEFAULT 0 NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    key text,
    locked_by text,
    lease_expires_at timestamp with time zone,
    last_error text,
    last_error_at timestamp with time zone,
    trace_context jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    duration_ms integer,
    CONSTRAINT jobs_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT jobs_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT jobs_finished_when_final CHECK (((status = ANY (ARRAY['succeeded'::public.job_status, 'dead'::public.job_status, 'canceled'::public.job_status])) = (finished_at IS NOT NULL))),
    CONSTRAINT jobs_key_check CHECK (((char_length(key) >= 1) AND (char_length(key) <= 512))),
    CONSTRAINT jobs_lease_while_running CHECK (((status = 'running'::public.job_status) = (lease_expires_at IS NOT NULL))),
    CONSTRAINT jobs_locked_while_running CHECK (((status = 'running'::public.job_status) = (locked_by IS NOT NULL))),
    CONSTRAINT jobs_max_attempts_check CHECK ((max_attempts >= 1)),
    CONSTRAINT jobs_queue_check CHECK ((queue ~ '^[a-z_]{1,32}$'::text)),
    CONSTRAINT jobs_succeeded_are_completed CHECK ((status <> 'succeeded'::public.job_status)),
    CONSTRAINT jobs_task_check CHECK (((char_length(task) >= 1) AND (char_length(task) <= 100)))
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_vacuum_threshold='5000', autovacuum_analyze_scale_factor='0.02', autovacuum_vacuum_cost_delay='0');

CREATE VIEW public.all_jobs AS
 SELECT jobs.id,
    jobs.queue,
    jobs.task,
    jobs.payload,
    jobs.status,
    jobs.priority,
    jobs.run_at,
    jobs.attempts,
    jobs.max_attempts,
    jobs.key,
    jobs.locked_by,
    jobs.lease_expires_at,
    jobs.last_error,
    jobs.last_error_at,
    jobs.trace_context,
    jobs.created_at,
    jobs.started_at,
    jobs.finished_at,
    jobs.duration_ms
   FROM public.jobs
UNION ALL
 SELECT completed_jobs.id,
    completed_jobs.queue,
    completed_jobs.task,
    completed_jobs.payload,
    'succeeded'::public.job_status AS status,
    completed_jobs.priority,
    completed_jobs.run_at,
    completed_jobs.attempts,
    completed_jobs.max_attempts,
    completed_jobs.key,
    NULL::text AS locked_by,
    NULL::timestamp with time zone AS lease_expires_at,
    completed_jobs.last_error,
    completed_jobs.last_error_at,
    completed_jobs.trace_context,
    completed_jobs.created_at,
    completed_jobs.started_at,
    completed_jobs.finished_at,
    completed_jobs.duration_ms
   FROM public.completed_jobs;

CREATE TABLE public.availability_slots (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    provider_id uuid NOT NULL,
    period tstzrange NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT availability_slots_period_check CHECK ((lower_inc(period) AND (NOT upper_inc(period)) AND (NOT lower_inf(period)) AND (NOT upper_inf(period)) AND (((upper(period) - lower(period)) >= '00:15:00'::interval) AND ((upper(period) - lower(period)) <= '24:00:00'::interval))))
);

CREATE TABLE public.booking_history (
    id bigint NOT NULL,
    booking_id uuid NOT NULL,
    actor_id uuid,
    actor_role text NOT NULL,
    from_status public.booking_status,
    to_status public.booking_status NOT NULL,
    request_id text,
    at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT booking_history_actor_role_check CHECK ((actor_role = ANY (ARRAY['client'::text, 'provider'::text, 'admin'::text, 'system'::text]))),
    CONSTRAINT booking_history_check CHECK ((from_status IS DISTINCT FROM to_status))
);

ALTER TABLE public.booking_history ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.booking_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.bookings (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    client_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    service_id uuid NOT NULL,
    period tstzrange NOT NULL,
    status public.booking_status DEFAULT 'pending'::public.booking_status NOT NULL,
    total_amount numeric(12,2) NOT NULL,
    platform_fee numeric(12,2) NOT NULL,
    currency character(3) DEFAULT 'CAD'::bpchar NOT NULL,
    notes text,
    cancellation_reason text,
    accepted_at timestamp with time zone,
    completed_at timestamp with time zone,
    canceled_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT bookings_cancellation_reason_check CHECK ((char_length(cancellation_reason) <= 1000)),
    CONSTRAINT bookings_check CHECK (((platform_fee >= (0)::numeric) AND (platform_fee <= total_amount))),
    CONSTRAINT bookings_currency_check CHECK ((currency = 'CAD'::bpchar)),
    CONSTRAINT bookings_notes_check CHECK ((char_length(notes) <= 2000)),
    CONSTRAINT bookings_parties_differ CHECK ((client_id <> provider_id)),
    CONSTRAINT bookings_period_check CHECK ((lower_inc(period) AND (NOT upper_inc(period)) AND (NOT lower_inf(period)) AND (NOT upper_inf(period)) AND (NOT isempty(period)))),
    CONSTRAINT bookings_total_amount_check CHECK ((total_amount >= (0)::numeric))
);

CREATE TABLE public.canadian_provinces (
    code character(2) NOT NULL,
    name text NOT NULL,
    CONSTRAINT canadian_provinces_code_check CHECK ((code ~ '^[A-Z]{2}$'::text))
);

CREATE TABLE public.cron_schedules (
    name text NOT NULL,
    schedule text NOT NULL,
    last_tick_at timestamp with time zone,
    last_job_id bigint,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cron_schedules_name_check CHECK ((name ~ '^[a-z0-9_.-]{1,64}$'::text))
);

CREATE TABLE public.daily_reports (
    report_date date NOT NULL,
    new_users integer NOT NULL,
    new_providers integer NOT NULL,
    bookings_by_status jsonb NOT NULL,
    orders integer NOT NULL,
    gross_revenue numeric(14,2) NOT NULL,
    platform_revenue numeric(14,2) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT daily_reports_gross_revenue_check CHECK ((gross_revenue >= (0)::numeric)),
    CONSTRAINT daily_reports_new_providers_check CHECK ((new_providers >= 0)),
    CONSTRAINT daily_reports_new_users_check CHECK ((new_users >= 0)),
    CONSTRAINT daily_reports_orders_check CHECK ((orders >= 0)),
    CONSTRAINT daily_reports_platform_revenue_check CHECK ((platform_revenue >= (0)::numeric))
);

CREATE TABLE public.effect_sql_migrations (
    migration_id integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    name text NOT NULL
);

CREATE TABLE public.files (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    owner_id uuid NOT NULL,
    purpose public.file_purpose NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    original_name text,
    storage_name text NOT NULL,
    sha256 bytea,
    item_id uuid,
    message_id uuid,
    original_file_id uuid,
    thumbnail_size integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT files_content_type_check CHECK ((content_type ~ '^[a-z]+/[a-z0-9.+-]+$'::text)),
    CONSTRAINT files_original_name_check CHECK ((char_length(original_name) <= 255)),
    CONSTRAINT files_sha256_check CHECK ((octet_length(sha256) = 32)),
    CONSTRAINT files_size_check CHECK ((size >= 0)),
    CONSTRAINT files_storage_name_check CHECK ((storage_name ~ '^[a-z0-9-]+(\.[a-z0-9]+)?$'::text)),
    CONSTRAINT files_thumbnail_shape CHECK (((purpose = 'thumbnail'::public.file_purpose) = ((original_file_id IS NOT NULL) AND (thumbnail_size IS NOT NULL)))),
    CONSTRAINT files_thumbnail_size_check CHECK ((thumbnail_size > 0))
);

CREATE TABLE public.idempotency_keys (
    user_id uuid NOT NULL,
    scope text NOT NULL,
    key text NOT NULL,
    fingerprint bytea NOT NULL,
    response_status smallint,
    response_body text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '24:00:00'::interval) NOT NULL,
    CONSTRAINT idempotency_keys_check CHECK (((response_status IS NULL) = (response_body IS NULL))),
    CONSTRAINT idempotency_keys_key_check CHECK (((char_length(key) >= 1) AND (char_length(key) <= 255)))
);

CREATE TABLE public.item_categories (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name public.citext NOT NULL,
    description text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT item_categories_description_check CHECK ((char_length(description) <= 1000)),
    CONSTRAINT item_categories_name_check CHECK (((char_length((name)::text) >= 2) AND (char_length((name)::text) <= 100)))
);

CREATE TABLE public.item_tags (
    item_id uuid NOT NULL,
    tag public.citext NOT NULL,
    CONSTRAINT item_tags_tag_check CHECK (((char_length((tag)::text) >= 1) AND (char_length((tag)::text) <= 50)))
);

CREATE TABLE public.items (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    provider_id uuid NOT NULL,
    category_id uuid,
    name text NOT NULL,
    description text,
    price numeric(10,2) NOT NULL,
    inventory_quantity integer NOT NULL,
    search tsvector GENERATED ALWAYS AS ((setweight(to_tsvector('english'::regconfig, name), 'A'::"char") || setweight(to_tsvector('english'::regconfig, COALESCE(description, ''::text)), 'B'::"char"))) STORED,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT items_description_check CHECK ((char_length(description) <= 5000)),
    CONSTRAINT items_inventory_quantity_check CHECK ((inventory_quantity >= 0)),
    CONSTRAINT items_name_check CHECK ((((char_length(name) >= 2) AND (char_length(name) <= 200)) AND (name = btrim(name)))),
    CONSTRAINT items_price_check CHECK (((price >= (0)::numeric) AND (price <= (100000)::numeric)))
);

ALTER TABLE public.jobs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.messages (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    sender_id uuid NOT NULL,
    receiver_id uuid NOT NULL,
    booking_id uuid,
    content text NOT NULL,
    read_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT messages_content_check CHECK ((((char_length(content) >= 1) AND (char_length(content) <= 5000)) AND (btrim(content) <> ''::text))),
    CONSTRAINT messages_not_to_self CHECK ((sender_id <> receiver_id))
);

CREATE TABLE public.notification_deliveries (
    id bigint NOT NULL,
    notification_id uuid NOT NULL,
    channel public.notification_channel NOT NULL,
    status public.delivery_status NOT NULL,
    attempt integer NOT NULL,
    error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notification_deliveries_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT notification_deliveries_check CHECK (((status = 'failed'::public.delivery_status) = (error IS NOT NULL)))
);

ALTER TABLE public.notification_deliveries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.notification_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.notification_preferences (
    user_id uuid NOT NULL,
    notify_on_new_message boolean DEFAULT true NOT NULL,
    notify_on_booking_update boolean DEFAULT true NOT NULL,
    notify_on_payment boolean DEFAULT false NOT NULL,
    notify_on_review_reminder boolean DEFAULT false NOT NULL,
    notify_by_email boolean DEFAULT true NOT NULL,
    notify_by_sms boolean DEFAULT false NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.notifications (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    type public.notification_type NOT NULL,
    content text NOT NULL,
    channel public.notification_channel DEFAULT 'in_app'::public.notification_channel NOT NULL,
    status public.notification_status DEFAULT 'unread'::public.notification_status NOT NULL,
    read_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notifications_check CHECK (((status = 'read'::public.notification_status) = (read_at IS NOT NULL))),
    CONSTRAINT notifications_content_check CHECK (((char_length(content) >= 1) AND (char_length(content) <= 2000)))
);

CREATE TABLE public.order_items (
    order_id uuid NOT NULL,
    item_id uuid NOT NULL,
    seller_id uuid NOT NULL,
    name text NOT NULL,
    quantity integer NOT NULL,
    unit_price numeric(10,2) NOT NULL,
    line_total numeric(12,2) NOT NULL,
    CONSTRAINT order_items_line_total CHECK ((line_total = ((quantity)::numeric * unit_price))),
    CONSTRAINT order_items_quantity_check CHECK (((quantity >= 1) AND (quantity <= 1000))),
    CONSTRAINT order_items_unit_price_check CHECK ((unit_price >= (0)::numeric))
);

CREATE TABLE public.orders (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    client_id uuid NOT NULL,
    status public.order_status DEFAULT 'pending'::public.order_status NOT NULL,
    subtotal numeric(12,2) NOT NULL,
    tax_amount numeric(12,2) NOT NULL,
    platform_fee numeric(12,2) NOT NULL,
    total_amount numeric(12,2) NOT NULL,
    currency character(3) DEFAULT 'CAD'::bpchar NOT NULL,
    shipping_address jsonb NOT NULL,
    shipping_province_code character(2) NOT NULL,
    stock_restored_at timestamp with time zone,
    paid_at timestamp with time zone,
    shipped_at timestamp with time zone,
    delivered_at timestamp with time zone,
    canceled_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT orders_check CHECK (((platform_fee >= (0)::numeric) AND (platform_fee <= subtotal))),
    CONSTRAINT orders_currency_check CHECK ((currency = 'CAD'::bpchar)),
    CONSTRAINT orders_shipping_address_check CHECK ((jsonb_typeof(shipping_address) = 'object'::text)),
    CONSTRAINT orders_subtotal_check CHECK ((subtotal >= (0)::numeric)),
    CONSTRAINT orders_tax_amount_check CHECK ((tax_amount >= (0)::numeric)),
    CONSTRAINT orders_total_adds_up CHECK ((total_amount = (subtotal + tax_amount)))
);

CREATE TABLE public.payments (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    payer_id uuid NOT NULL,
    payee_id uuid,
    booking_id uuid,
    order_id uuid,
    amount numeric(12,2) NOT NULL,
    refunded_amount numeric(12,2) DEFAULT 0 NOT NULL,
    currency character(3) DEFAULT 'CAD'::bpchar NOT NULL,
    status public.payment_status NOT NULL,
    gateway_ref text,
    failure_reason text,
    released_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payments_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT payments_currency_check CHECK ((currency = 'CAD'::bpchar)),
    CONSTRAINT payments_one_subject CHECK ((num_nonnulls(booking_id, order_id) = 1)),
    CONSTRAINT payments_refund_bounded CHECK (((refunded_amount >= (0)::numeric) AND (refunded_amount <= amount)))
);

CREATE TABLE public.refresh_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    parent_id uuid,
    user_agent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    expires_at timestamp with time zone NOT NULL,
    rotated_at timestamp with time zone,
    revoked_at timestamp with time zone,
    revoked_reason text,
    CONSTRAINT refresh_tokens_check CHECK ((expires_at > created_at)),
    CONSTRAINT refresh_tokens_revoked_reason_check CHECK ((revoked_reason = ANY (ARRAY['logout'::text, 'logout_all'::text, 'rotated_reuse'::text, 'evicted'::text, 'password_changed'::text, 'suspended'::text]))),
    CONSTRAINT refresh_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32)),
    CONSTRAINT refresh_tokens_user_agent_check CHECK ((char_length(user_agent) <= 512))
);

CREATE TABLE public.refunds (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    payment_id uuid NOT NULL,
    amount numeric(12,2) NOT NULL,
    reason text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT refunds_amount_check CHECK ((amount > (0)::numeric)),
    CONSTRAINT refunds_reason_check CHECK (((char_length(reason) >= 1) AND (char_length(reason) <= 1000)))
);

CREATE TABLE public.reviews (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    booking_id uuid NOT NULL,
    reviewer_id uuid NOT NULL,
    reviewee_id uuid NOT NULL,
    direction public.review_direction NOT NULL,
    rating smallint NOT NULL,
    comment text,
    status public.review_status DEFAULT 'visible'::public.review_status NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reviews_comment_check CHECK (((char_length(comment) >= 10) AND (char_length(comment) <= 1000))),
    CONSTRAINT reviews_not_self CHECK ((reviewer_id <> reviewee_id)),
    CONSTRAINT reviews_rating_check CHECK (((rating >= 1) AND (rating <= 5)))
);

CREATE TABLE public.services (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    provider_id uuid NOT NULL,
    type public.service_type NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    terms text,
    hourly_rate numeric(10,2),
    daily_rate numeric(10,2),
    is_featured boolean DEFAULT false NOT NULL,
    status public.service_status DEFAULT 'active'::public.service_status NOT NULL,
    search tsvector GENERATED ALWAYS AS ((setweight(to_tsvector('english'::regconfig, title), 'A'::"char") || setweight(to_tsvector('english'::regconfig, description), 'B'::"char"))) STORED,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT services_daily_rate_check CHECK (((daily_rate >= (0)::numeric) AND (daily_rate <= (5000)::numeric))),
    CONSTRAINT services_description_check CHECK ((char_length(description) <= 5000)),
    CONSTRAINT services_has_a_rate CHECK (((hourly_rate IS NOT NULL) OR (daily_rate IS NOT NULL))),
    CONSTRAINT services_hourly_rate_check CHECK (((hourly_rate >= (0)::numeric) AND (hourly_rate <= (1000)::numeric))),
    CONSTRAINT services_terms_check CHECK ((char_length(terms) <= 5000)),
    CONSTRAINT services_title_check CHECK ((((char_length(title) >= 3) AND (char_length(title) <= 200)) AND (title = btrim(title))))
);

CREATE TABLE public.shipments (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    order_id uuid NOT NULL,
    seller_id uuid NOT NULL,
    carrier text NOT NULL,
    tracking_number text NOT NULL,
    shipped_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    CONSTRAINT shipments_carrier_check CHECK (((char_length(carrier) >= 1) AND (char_length(carrier) <= 100))),
    CONSTRAINT shipments_tracking_number_check CHECK (((char_length(tracking_number) >= 1) AND (char_length(tracking_number) <= 100)))
);

CREATE TABLE public.tax_rules (
    province_code character(2) NOT NULL,
    effective_from date NOT NULL,
    gst numeric(6,5) DEFAULT 0 NOT NULL,
    pst numeric(6,5) DEFAULT 0 NOT NULL,
    hst numeric(6,5) DEFAULT 0 NOT NULL,
    total numeric(6,5) GENERATED ALWAYS AS (((gst + pst) + hst)) STORED,
    CONSTRAINT tax_rules_gst_check CHECK (((gst >= (0)::numeric) AND (gst < (1)::numeric))),
    CONSTRAINT tax_rules_hst_check CHECK (((hst >= (0)::numeric) AND (hst < (1)::numeric))),
    CONSTRAINT tax_rules_pst_check CHECK (((pst >= (0)::numeric) AND (pst < (1)::numeric)))
);

CREATE TABLE public.user_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    purpose public.user_token_purpose NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT user_tokens_check CHECK ((expires_at > created_at)),
    CONSTRAINT user_tokens_check1 CHECK (((used_at IS NULL) OR (used_at >= created_at))),
    CONSTRAINT user_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

CREATE TABLE public.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email public.citext NOT NULL,
    password_hash text NOT NULL,
    name text NOT NULL,
    role public.user_role NOT NULL,
    status public.user_status DEFAULT 'active'::public.user_status NOT NULL,
    verification_status public.verification_status,
    email_verified_at timestamp with time zone,
    phone_number text,
    city text,
    postal_code character(6),
    province_code character(2),
    preferred_contact_method public.contact_method DEFAULT 'email'::public.contact_method NOT NULL,
    profile_image_file_id uuid,
    rating_sum integer DEFAULT 0 NOT NULL,
    rating_count integer DEFAULT 0 NOT NULL,
    password_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT users_city_check CHECK (((char_length(city) >= 1) AND (char_length(city) <= 100))),
    CONSTRAINT users_email_check CHECK (((email OPERATOR(public.~) '^[^@[:space:]]+@[^@[:space:]]+$'::public.citext) AND (char_length((email)::text) <= 254))),
    CONSTRAINT users_name_check CHECK ((((char_length(name) >= 2) AND (char_length(name) <= 100)) AND (name = btrim(name)))),
    CONSTRAINT users_phone_number_check CHECK ((phone_number ~ '^\+?[0-9]{7,15}$'::text)),
    CONSTRAINT users_postal_code_check CHECK ((postal_code ~ '^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$'::text)),
    CONSTRAINT users_rating_consistent CHECK (((rating_sum >= rating_count) AND (rating_sum <= (5 * rating_count)))),
    CONSTRAINT users_rating_count_check CHECK ((rating_count >= 0)),
    CONSTRAINT users_rating_sum_check CHECK ((rating_sum >= 0)),
    CONSTRAINT users_verification_only_for_providers CHECK (((role = 'provider'::public.user_role) = (verification_status IS NOT NULL)))
);

ALTER TABLE ONLY public.availability_slots
    ADD CONSTRAINT availability_slots_no_overlap EXCLUDE USING gist (provider_id WITH =, period WITH &&);

ALTER TABLE ONLY public.availability_slots
    ADD CONSTRAINT availability_slots_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.booking_history
    ADD CONSTRAINT booking_history_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (provider_id WITH =, period WITH &&) WHERE ((status = ANY (ARRAY['pending'::public.booking_status, 'accepted'::public.booking_status])));

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT bookings_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.canadian_provinces
    ADD CONSTRAINT canadian_provinces_name_key UNIQUE (name);

ALTER TABLE ONLY public.canadian_provinces
    ADD CONSTRAINT canadian_provinces_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.completed_jobs
    ADD CONSTRAINT completed_jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.cron_schedules
    ADD CONSTRAINT cron_schedules_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.daily_reports
    ADD CONSTRAINT daily_reports_pkey PRIMARY KEY (report_date);

ALTER TABLE ONLY public.effect_sql_migrations
    ADD CONSTRAINT effect_sql_migrations_pkey PRIMARY KEY (migration_id);

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_storage_name_key UNIQUE (storage_name);

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, scope, key);

ALTER TABLE ONLY public.item_categories
    ADD CONSTRAINT item_categories_name_key UNIQUE (name);

ALTER TABLE ONLY public.item_categories
    ADD CONSTRAINT item_categories_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.item_tags
    ADD CONSTRAINT item_tags_pkey PRIMARY KEY (item_id, tag);

ALTER TABLE ONLY public.items
    ADD CONSTRAINT items_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification_deliveries
    ADD CONSTRAINT notification_deliveries_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification_preferences
    ADD CONSTRAINT notification_preferences_pkey PRIMARY KEY (user_id);

ALTER TABLE ONLY public.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_pkey PRIMARY KEY (order_id, item_id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_one_per_direction UNIQUE (booking_id, direction);

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.services
    ADD CONSTRAINT services_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.shipments
    ADD CONSTRAINT shipments_order_id_seller_id_key UNIQUE (order_id, seller_id);

ALTER TABLE ONLY public.shipments
    ADD CONSTRAINT shipments_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.tax_rules
    ADD CONSTRAINT tax_rules_pkey PRIMARY KEY (province_code, effective_from);

ALTER TABLE ONLY public.user_tokens
    ADD CONSTRAINT user_tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.user_tokens
    ADD CONSTRAINT user_tokens_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX booking_history_booking_idx ON public.booking_history USING btree (booking_id, at);

CREATE INDEX bookings_client_idx ON public.bookings USING btree (client_id, created_at DESC, id DESC);

CREATE INDEX bookings_completed_idx ON public.bookings USING btree (completed_at) WHERE (status = 'completed'::public.booking_status);

CREATE INDEX bookings_open_start_idx ON public.bookings USING btree (lower(period)) WHERE (status = ANY (ARRAY['pending'::public.booking_status, 'accepted'::public.booking_status]));

CREATE INDEX bookings_provider_idx ON public.bookings USING btree (provider_id, created_at DESC, id DESC);

CREATE INDEX bookings_service_idx ON public.bookings USING btree (service_id, created_at DESC, id DESC);

CREATE INDEX completed_jobs_finished_idx ON public.completed_jobs USING brin (finished_at);

CREATE INDEX files_item_idx ON public.files USING btree (item_id) WHERE ((item_id IS NOT NULL) AND (deleted_at IS NULL));

CREATE INDEX files_message_idx ON public.files USING btree (message_id) WHERE (message_id IS NOT NULL);

CREATE INDEX files_owner_idx ON public.files USING btree (owner_id, created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE UNIQUE INDEX files_thumbnail_once ON public.files USING btree (original_file_id, thumbnail_size) WHERE (original_file_id IS NOT NULL);

CREATE INDEX idempotency_keys_expires_idx ON public.idempotency_keys USING btree (expires_at);

CREATE INDEX item_tags_tag_idx ON public.item_tags USING btree (tag);

CREATE INDEX items_category_idx ON public.items USING btree (category_id, created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE INDEX items_name_prefix_idx ON public.items USING btree (lower(name) text_pattern_ops) WHERE (deleted_at IS NULL);

CREATE INDEX items_newest_idx ON public.items USING btree (created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE INDEX items_price_idx ON public.items USING btree (price, id) WHERE (deleted_at IS NULL);

CREATE INDEX items_provider_idx ON public.items USING btree (provider_id, created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE INDEX items_search_idx ON public.items USING gin (search) WHERE (deleted_at IS NULL);

CREATE INDEX jobs_attention_idx ON public.jobs USING btree (queue, id DESC) WHERE (status = ANY (ARRAY['dead'::public.job_status, 'canceled'::public.job_status]));

CREATE INDEX jobs_claim_idx ON public.jobs USING btree (queue, priority DESC, run_at, id) WHERE (status = 'pending'::public.job_status);

CREATE INDEX jobs_delayed_idx ON public.jobs USING btree (queue, run_at) WHERE ((status = 'pending'::public.job_status) AND (run_at > created_at));

CREATE INDEX jobs_errors_idx ON public.jobs USING btree (last_error_at) WHERE (last_error_at IS NOT NULL);

CREATE INDEX jobs_finished_idx ON public.jobs USING btree (finished_at) WHERE (finished_at IS NOT NULL);

CREATE UNIQUE INDEX jobs_key_idx ON public.jobs USING btree (key) WHERE ((key IS NOT NULL) AND (status = ANY (ARRAY['pending'::public.job_status, 'running'::public.job_status])));

CREATE INDEX jobs_lease_idx ON public.jobs USING btree (lease_expires_at) WHERE (status = 'running'::public.job_status);

CREATE INDEX messages_booking_idx ON public.messages USING btree (booking_id, created_at DESC, id DESC) WHERE (booking_id IS NOT NULL);

CREATE INDEX messages_receiver_idx ON public.messages USING btree (receiver_id, created_at DESC, id DESC);

CREATE INDEX messages_sender_idx ON public.messages USING btree (sender_id, created_at DESC, id DESC);

CREATE INDEX messages_thread_idx ON public.messages USING btree (LEAST(sender_id, receiver_id), GREATEST(sender_id, receiver_id), created_at DESC, id DESC);

CREATE INDEX messages_unread_idx ON public.messages USING btree (receiver_id, sender_id) WHERE (read_at IS NULL);

CREATE INDEX notification_deliveries_notification_idx ON public.notification_deliveries USING btree (notification_id, created_at);

CREATE UNIQUE INDEX notification_deliveries_sent_once ON public.notification_deliveries USING btree (notification_id, channel) WHERE (status = 'sent'::public.delivery_status);

CREATE INDEX notifications_created_at_idx ON public.notifications USING btree (created_at);

CREATE INDEX notifications_unread_idx ON public.notifications USING btree (user_id, created_at DESC, id DESC) WHERE (status = 'unread'::public.notification_status);

CREATE INDEX notifications_user_idx ON public.notifications USING btree (user_id, created_at DESC, id DESC);

CREATE INDEX order_items_item_idx ON public.order_items USING btree (item_id);

CREATE INDEX order_items_seller_idx ON public.order_items USING btree (seller_id, order_id);

CREATE INDEX orders_client_idx ON public.orders USING btree (client_id, created_at DESC, id DESC);

CREATE INDEX orders_created_at_idx ON public.orders USING btree (created_at);

CREATE INDEX orders_delivered_idx ON public.orders USING btree (delivered_at) WHERE (status = 'delivered'::public.order_status);

CREATE INDEX payments_held_idx ON public.payments USING btree (created_at) WHERE (status = 'held'::public.payment_status);

CREATE UNIQUE INDEX payments_one_per_booking ON public.payments USING btree (booking_id) WHERE ((booking_id IS NOT NULL) AND (status <> 'failed'::public.payment_status));

CREATE UNIQUE INDEX payments_one_per_order ON public.payments USING btree (order_id) WHERE ((order_id IS NOT NULL) AND (status <> 'failed'::public.payment_status));

CREATE INDEX payments_order_idx ON public.payments USING btree (order_id, created_at, id) WHERE (order_id IS NOT NULL);

CREATE INDEX payments_payee_idx ON public.payments USING btree (payee_id, created_at DESC, id DESC);

CREATE INDEX payments_payer_idx ON public.payments USING btree (payer_id, created_at DESC, id DESC);

CREATE INDEX refresh_tokens_active_idx ON public.refresh_tokens USING btree (user_id, created_at) WHERE ((revoked_at IS NULL) AND (rotated_at IS NULL));

CREATE INDEX refresh_tokens_expires_idx ON public.refresh_tokens USING btree (expires_at);

CREATE INDEX refresh_tokens_family_idx ON public.refresh_tokens USING btree (family_id);

CREATE INDEX refunds_payment_idx ON public.refunds USING btree (payment_id, created_at);

CREATE INDEX reviews_reviewee_idx ON public.reviews USING btree (reviewee_id, created_at DESC, id DESC) WHERE (status = 'visible'::public.review_status);

CREATE INDEX reviews_reviewer_idx ON public.reviews USING btree (reviewer_id);

CREATE INDEX services_featured_idx ON public.services USING btree (created_at DESC, id DESC) WHERE (is_featured AND (deleted_at IS NULL));

CREATE INDEX services_hourly_rate_idx ON public.services USING btree (hourly_rate, id) WHERE (deleted_at IS NULL);

CREATE INDEX services_newest_idx ON public.services USING btree (created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE INDEX services_provider_idx ON public.services USING btree (provider_id, created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE INDEX services_search_idx ON public.services USING gin (search) WHERE (deleted_at IS NULL);

CREATE INDEX services_title_prefix_idx ON public.services USING btree (lower(title) text_pattern_ops) WHERE (deleted_at IS NULL);

CREATE INDEX services_type_idx ON public.services USING btree (type, created_at DESC, id DESC) WHERE (deleted_at IS NULL);

CREATE INDEX user_tokens_expires_idx ON public.user_tokens USING btree (expires_at);

CREATE INDEX user_tokens_user_idx ON public.user_tokens USING btree (user_id, purpose) WHERE (used_at IS NULL);

CREATE INDEX users_created_at_idx ON public.users USING btree (created_at);

CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email) WHERE (deleted_at IS NULL);

CREATE INDEX users_providers_idx ON public.users USING btree (created_at DESC, id DESC) WHERE ((role = 'provider'::public.user_role) AND (deleted_at IS NULL));

CREATE INDEX users_province_city_idx ON public.users USING btree (province_code, city) WHERE (deleted_at IS NULL);

CREATE TRIGGER bookings_updated_at BEFORE UPDATE ON public.bookings FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER items_updated_at BEFORE UPDATE ON public.items FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER notification_preferences_updated_at BEFORE UPDATE ON public.notification_preferences FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER orders_updated_at BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER payments_updated_at BEFORE UPDATE ON public.payments FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER refunds_add_to_payment AFTER INSERT ON public.refunds FOR EACH ROW EXECUTE FUNCTION public.refunds_add_to_payment();

CREATE TRIGGER reviews_updated_at BEFORE UPDATE ON public.reviews FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER services_updated_at BEFORE UPDATE ON public.services FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER users_delete_listings AFTER UPDATE OF deleted_at ON public.users FOR EACH ROW WHEN (((old.deleted_at IS NULL) AND (new.deleted_at IS NOT NULL))) EXECUTE FUNCTION public.users_delete_listings();

CREATE TRIGGER users_updated_at BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE ONLY public.availability_slots
    ADD CONSTRAINT availability_slots_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.booking_history
    ADD CONSTRAINT booking_history_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.booking_history
    ADD CONSTRAINT booking_history_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES public.bookings(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT bookings_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT bookings_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT bookings_service_id_fkey FOREIGN KEY (service_id) REFERENCES public.services(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.items(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.messages(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_original_file_id_fkey FOREIGN KEY (original_file_id) REFERENCES public.files(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.item_tags
    ADD CONSTRAINT item_tags_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.items(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.items
    ADD CONSTRAINT items_category_id_fkey FOREIGN KEY (category_id) REFERENCES public.item_categories(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.items
    ADD CONSTRAINT items_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES public.bookings(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_receiver_id_fkey FOREIGN KEY (receiver_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.notification_deliveries
    ADD CONSTRAINT notification_deliveries_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES public.notifications(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.notification_preferences
    ADD CONSTRAINT notification_preferences_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.notifications
    ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_item_id_fkey FOREIGN KEY (item_id) REFERENCES public.items(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.order_items
    ADD CONSTRAINT order_items_seller_id_fkey FOREIGN KEY (seller_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_shipping_province_code_fkey FOREIGN KEY (shipping_province_code) REFERENCES public.canadian_provinces(code) ON DELETE RESTRICT;

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES public.bookings(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_payee_id_fkey FOREIGN KEY (payee_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT payments_payer_id_fkey FOREIGN KEY (payer_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.refresh_tokens(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES public.payments(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES public.bookings(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_reviewee_id_fkey FOREIGN KEY (reviewee_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_reviewer_id_fkey FOREIGN KEY (reviewer_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.services
    ADD CONSTRAINT services_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.shipments
    ADD CONSTRAINT shipments_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.shipments
    ADD CONSTRAINT shipments_seller_id_fkey FOREIGN KEY (seller_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.tax_rules
    ADD CONSTRAINT tax_rules_province_code_fkey FOREIGN KEY (province_code) REFERENCES public.canadian_provinces(code) ON DELETE RESTRICT;

ALTER TABLE ONLY public.user_tokens
    ADD CONSTRAINT user_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_profile_image_fk FOREIGN KEY (profile_image_file_id) REFERENCES public.files(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_province_code_fkey FOREIGN KEY (province_code) REFERENCES public.canadian_provinces(code) ON DELETE RESTRICT;

\unrestrict 275AwCMjlqmxsJCIQfn2bSRQEFnedXwoNgGeHtfqcII0hjopblKdRohX18LBjTq

\restrict CbBbR9YVqgbrhOabC3MuZq2lYDa9X6sb7QWMNV0LjNEeesCfGtadric977XH1DA

INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (1, '2026-12-01 15:56:16.262595+00', 'extensions_and_provinces');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (2, '2026-12-01 15:56:16.262595+00', 'users_and_tokens');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (3, '2026-12-01 15:56:16.262595+00', 'services_and_availability');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (4, '2026-12-01 15:56:16.262595+00', 'bookings');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (5, '2026-12-01 15:56:16.262595+00', 'items_and_orders');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (6, '2026-12-01 15:56:16.262595+00', 'payments');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (7, '2026-12-01 15:56:16.262595+00', 'messages_reviews_notifications');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (8, '2026-12-01 15:56:16.262595+00', 'files');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (9, '2026-12-01 15:56:16.262595+00', 'jobs_cron_reports');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (10, '2026-12-01 15:56:16.262595+00', 'completed_jobs');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (11, '2026-12-01 15:56:16.262595+00', 'deleted_users_take_their_listings');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (12, '2026-12-01 15:56:16.262595+00', 'idempotent_responses_verbatim');
INSERT INTO public.effect_sql_migrations (migration_id, created_at, name) VALUES (13, '2026-12-01 15:56:16.262595+00', 'lookup_indexes');

\unrestrict CbBbR9YVqgbrhOabC3MuZq2lYDa9X6sb7QWMNV0LjNEeesCfGtadric977XH1DA
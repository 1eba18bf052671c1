-- Core tables of the ingest pipeline (SPEC §6). Partitioned tables get NO default partition:
-- an insert for a month without a partition must fail (a retryable 500), never land elsewhere.

CREATE TABLE IF NOT EXISTS sites (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    public_id  text NOT NULL UNIQUE,          -- the payload's `s`
    domain     text,
    name       text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per tracker session (per tab), in the month the client created it (`sm`).
CREATE TABLE IF NOT EXISTS sessions (
    id            text NOT NULL,               -- the payload's `sid`
    site_id       uuid NOT NULL REFERENCES sites (id),
    created_month date NOT NULL,               -- the payload's `sm`
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    gclid         text,
    fingerprint   text,
    entry_url     text,
    referrer      text,
    event_count   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, id, created_month)  -- session ids are only unique within a site
) PARTITION BY RANGE (created_month);

CREATE TABLE IF NOT EXISTS events (
    id            bigserial,
    site_id       uuid NOT NULL REFERENCES sites (id),
    session_id    text,                        -- sessions.id; NULL when the payload had no `sid`
    session_month date NOT NULL,               -- the payload's `sm`
    category      text,                        -- ec
    action        text,                        -- ea
    label         text,                        -- el
    value         numeric,                     -- ev, when numeric
    url           text,                        -- u
    referrer      text,                        -- r
    metadata      jsonb NOT NULL DEFAULT '{}', -- meta
    payload       jsonb NOT NULL,              -- the payload exactly as received (forensics, at-rest check)
    event_id      text,                        -- meta.eid, the envelope id; NULL for builds that send none
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_month, id)
) PARTITION BY RANGE (session_month);

CREATE INDEX IF NOT EXISTS events_site_idx ON events (site_id);

-- The de-duplication ledger: one row per envelope id ever stored, written in the same
-- transaction as the event, so "seen" and "stored" can never disagree. Keyed per site: envelope
-- ids are only the tracker's, and seeded runs (or a gate's two builds) repeat them across sites.
CREATE TABLE IF NOT EXISTS processed_signals (
    event_id    text NOT NULL,
    site_id     uuid NOT NULL REFERENCES sites (id),
    received_at timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL DEFAULT 'stored',
    PRIMARY KEY (site_id, event_id)
);

"""The SQL the ingest store runs.

``INGEST`` stores a whole request in ONE statement (hence one transaction, one round trip):
1. ``ledger`` claims each distinct ``eid`` of the site in ``processed_signals`` (``ON CONFLICT DO NOTHING``,
   sorted by eid so concurrent batches lock in the same order and cannot deadlock each other);
2. ``fresh`` keeps events without an eid, and the first occurrence of each eid this statement
   claimed — an eid already in the ledger (an earlier request, or one racing in another
   connection, which makes this one wait for its commit) is a duplicate and stored nothing;
3. ``sess`` upserts the sessions of the fresh events, ``stored`` inserts the events.
A month without a partition makes the statement fail as a whole: no ledger row survives
without its event, which is the point of writing both in one transaction.
"""
from __future__ import annotations

INGEST = """
WITH input AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS x(
        ord int, eid text, session_id text, session_month date, category text, action text,
        label text, value numeric, url text, referrer text, gclid text, fingerprint text,
        metadata jsonb, payload jsonb)
),
ledger AS (
    INSERT INTO processed_signals (event_id, site_id, status)
    SELECT DISTINCT ON (eid) eid, %(site)s::uuid, 'stored'
    FROM input WHERE eid IS NOT NULL
    ORDER BY eid, ord
    ON CONFLICT (site_id, event_id) DO NOTHING
    RETURNING event_id
),
fresh AS (
    SELECT i.* FROM input i
    WHERE i.eid IS NULL
       OR (i.eid IN (SELECT event_id FROM ledger)
           AND i.ord = (SELECT min(j.ord) FROM input j WHERE j.eid = i.eid))
),
sess AS (
    INSERT INTO sessions AS s (id, site_id, created_month, gclid, fingerprint, entry_url, referrer, event_count)
    SELECT DISTINCT ON (session_id, session_month)
           session_id, %(site)s::uuid, session_month, gclid, fingerprint, url, referrer,
           count(*) OVER (PARTITION BY session_id, session_month)
    FROM fresh WHERE session_id IS NOT NULL
    ORDER BY session_id, session_month, ord
    ON CONFLICT (site_id, id, created_month) DO UPDATE SET
        last_seen = greatest(s.last_seen, excluded.last_seen),
        event_count = s.event_count + excluded.event_count,
        gclid = coalesce(s.gclid, excluded.gclid),
        fingerprint = coalesce(s.fingerprint, excluded.fingerprint)
    RETURNING 1
),
stored AS (
    INSERT INTO events (site_id, session_id, session_month, category, action, label, value,
                        url, referrer, metadata, payload, event_id)
    SELECT %(site)s::uuid, session_id, session_month, category, action, label, value,
           url, referrer, coalesce(metadata, '{}'::jsonb), payload, eid
    FROM fresh ORDER BY ord
    RETURNING event_id
)
SELECT (SELECT count(*) FROM stored) AS accepted,
       (SELECT count(*) FROM stored WHERE event_id IS NULL) AS no_eid,
       (SELECT count(*) FROM sess) AS sessions
"""

SITE_ID = "SELECT id FROM sites WHERE public_id = %s"

ENSURE_SITE = """
INSERT INTO sites (public_id, domain, name) VALUES (%s, %s, %s)
ON CONFLICT (public_id) DO NOTHING
"""

# The at-rest read: text columns only (cheapest to load for 100k rows; the payload is parsed once
# with json.loads); tableoid names the partition the row really lives in.
ROWS = """
SELECT e.event_id, s.public_id, e.session_id, e.session_month::text, e.category, e.action,
       e.payload::text, e.tableoid::regclass::text
FROM events e JOIN sites s ON s.id = e.site_id
{where}
ORDER BY e.id
"""

# Room to sort 100k rows in memory instead of on disk (the default 4MB spills).
READ_SETTINGS = "SET work_mem = '64MB'"

CREATE_MONTH = "SELECT create_month_partitions(%s::date)"
CREATE_NEXT_MONTH = "SELECT create_next_month_partitions(%s::date)"

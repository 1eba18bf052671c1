-- Monthly partitions events_YYYY_MM / sessions_YYYY_MM. The harness runs tracker time on a
-- virtual page clock, so callers pass the date explicitly instead of trusting the server clock.

CREATE OR REPLACE FUNCTION create_month_partitions(month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    next_day  date := (date_trunc('month', month) + interval '1 month')::date;
    suffix    text := to_char(first_day, 'YYYY_MM');
BEGIN
    -- Serialise concurrent callers: CREATE TABLE IF NOT EXISTS alone can race.
    PERFORM pg_advisory_xact_lock(hashtext('tank_create_month_partitions'));
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   'events_' || suffix, first_day, next_day);
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF sessions FOR VALUES FROM (%L) TO (%L)',
                   'sessions_' || suffix, first_day, next_day);
END;
$$;

-- The month after `base` (the seed ran this from pg_cron on the 25th of each month).
CREATE OR REPLACE FUNCTION create_next_month_partitions(base date DEFAULT current_date) RETURNS void
LANGUAGE sql AS $$
    SELECT create_month_partitions((date_trunc('month', base) + interval '1 month')::date);
$$;

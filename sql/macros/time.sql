-- Time macros: the span of plausible timestamps.

-- A timestamp an account or its activity can have: from 2000 up to 2100. Outside it a value is a
-- placeholder or a unit mistake (epoch 0, 'infinity', milliseconds read as seconds).
create or replace macro ts_plausible(ts) as
    ts >= '2000-01-01 00:00:00+00'::timestamptz and ts < '2100-01-01 00:00:00+00'::timestamptz;

-- The day (UTC) a raw event row belongs to: the daily partition that loads it. Null when the
-- time is missing, unparseable or implausible: such rows are staged by every run from the input
-- itself (they are quarantined anyway), never stored by day.
create or replace macro event_day(ts) as
    case
        when ts_plausible(try_cast(ts as timestamptz))
            then timezone('UTC', try_cast(ts as timestamptz))::date
    end;

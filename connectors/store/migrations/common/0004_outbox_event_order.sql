-- Replays read relayed events after a cursor in the bus's order: the (milliseconds, sequence)
-- of their event id.
CREATE INDEX outbox_event_order ON shahr.outbox
    ((split_part(event_id, '-', 1)::bigint), (split_part(event_id, '-', 2)::bigint))
    WHERE event_id IS NOT NULL;

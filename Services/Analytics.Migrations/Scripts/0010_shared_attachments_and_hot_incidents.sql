-- Signals fusion folds in one step into the same incident now share one signalAttached event, so
-- an event brings any number of signals into the evidence chain: signal_id becomes signal_ids.
ALTER TABLE incident_events ADD COLUMN signal_ids text[];
UPDATE incident_events SET signal_ids = ARRAY[signal_id] WHERE signal_id IS NOT NULL;
ALTER TABLE incident_events DROP COLUMN signal_id;

-- Every attached signal rewrites its incident's projection row. Leaving room on each page and
-- keeping the columns a signal changes out of every index lets Postgres update the row in place
-- (a HOT update) instead of adding an entry to each index. Housekeeping finds quiet incidents
-- among the unresolved ones, which are few, by their opening time, which never changes.
ALTER TABLE incidents SET (fillfactor = 70);
DROP INDEX incidents_quiet;
CREATE INDEX incidents_unresolved ON incidents (opened_at) WHERE status <> 'resolved';

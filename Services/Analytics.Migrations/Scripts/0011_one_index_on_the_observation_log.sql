-- Every observation paid for two b-tree entries: the primary key on (recorded_at, seq), which no
-- query reads by, and the read-order index on (tx_id, seq), which every consumer reads by. The
-- primary key now is the read order (with recorded_at, which a key of a table partitioned by it
-- must hold), so each appended row adds one index entry and its WAL instead of two.
ALTER TABLE observation_log DROP CONSTRAINT observation_log_pkey;
DROP INDEX observation_log_read_order;
ALTER TABLE observation_log ADD PRIMARY KEY (tx_id, seq, recorded_at);

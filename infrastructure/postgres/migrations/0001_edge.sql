-- Idempotency records: one row per (API key + method + path, Idempotency-Key).
-- The row is the durable lock (IN_PROGRESS until locked_until) and, once COMPLETED, the stored
-- response. A command that records events completes its row in the same transaction. Each claim
-- gets a fencing token: only the holder of the current token may complete the record, so a
-- request whose lock expired can never commit over a newer claim.
CREATE TABLE idempotency_records (
    scope            text        NOT NULL,
    idempotency_key  text        NOT NULL,
    fingerprint      text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('IN_PROGRESS', 'COMPLETED')),
    claim_token      uuid        NOT NULL,
    response_status  integer,
    response_body    bytea,
    locked_until     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_records_expires_at_idx ON idempotency_records (expires_at);

-- When each API key was last used. Kept out of the event log on purpose: it changes on every
-- request and is an operational fact, not a business one.
CREATE TABLE api_key_usage (
    key_id        text        PRIMARY KEY,
    last_used_at  timestamptz NOT NULL
);

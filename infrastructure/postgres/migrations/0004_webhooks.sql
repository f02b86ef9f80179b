-- Outgoing webhooks. Signing secrets are sealed with the vault's keys and kept out of the event
-- log (an event only carries a hint of the secret); the row is written before the endpoint's
-- event commits, so every committed endpoint can be signed for.
CREATE TABLE webhook_secrets (
    endpoint_id  text        PRIMARY KEY,
    key_version  text        NOT NULL,
    sealed       bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The delivery log: one row per attempt. `delivery_id` names one intended delivery (endpoint +
-- event, + replay for a replay) so a redelivered message can see it already succeeded.
CREATE TABLE webhook_deliveries (
    id            bigserial   PRIMARY KEY,
    delivery_id   text        NOT NULL,
    endpoint_id   text        NOT NULL,
    event_id      text        NOT NULL,
    position      bigint      NOT NULL,
    attempt       integer     NOT NULL,
    outcome       text        NOT NULL
                  CHECK (outcome IN ('DELIVERED', 'FAILED', 'EXHAUSTED', 'SKIPPED')),
    status_code   integer,
    error         text,
    duration_ms   integer,
    attempted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (delivery_id)
    WHERE outcome = 'DELIVERED';

-- Consecutive deliveries per endpoint that failed on every retry; reset by a success. Reaching
-- WEBHOOK_DISABLE_AFTER_FAILURES disables the endpoint (an event in the log).
CREATE TABLE webhook_endpoint_health (
    endpoint_id        text        PRIMARY KEY,
    failed_deliveries  integer     NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

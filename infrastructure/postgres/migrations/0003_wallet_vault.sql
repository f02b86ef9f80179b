-- Sealed wallet seeds, kept apart from the event log (events never carry key material).
-- A row is written when the keypair is made, before the wallet's event commits, so the deposit
-- monitor knows an address belongs to us from its first moment. `key_version` names the vault
-- key that sealed it, so keys can rotate while old rows are re-sealed.
CREATE TABLE wallet_secrets (
    address      text        PRIMARY KEY,
    user_id      text        NOT NULL,
    key_version  text        NOT NULL,
    sealed       bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sealed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_secrets_user_idx ON wallet_secrets (user_id);
CREATE INDEX wallet_secrets_created_idx ON wallet_secrets (created_at);
CREATE INDEX wallet_secrets_version_idx ON wallet_secrets (key_version);

-- Cursors of the loops that follow external feeds (the Horizon payment stream).
CREATE TABLE feed_cursors (
    name        text        PRIMARY KEY,
    cursor      text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

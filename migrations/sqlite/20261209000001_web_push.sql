-- Web Push (issue 17).

-- Keys the server makes for itself at first start and keeps. One row per
-- key, by name: 'vapid' is the private P-256 scalar (base64url) that signs
-- every push, whose public half browsers subscribe with. A secret: it is
-- never logged or sent; changing it invalidates every subscription.
CREATE TABLE server_keys (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- A browser's push subscription, made while logged in to one session:
-- logging that session out (or every session) ends its pushes.
CREATE TABLE push_subscriptions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_hash TEXT    NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
    -- The push service's URL for this browser; a capability, never shown
    -- in full. Unique: a browser subscribing again updates its row.
    endpoint     TEXT    NOT NULL UNIQUE,
    -- The browser's P-256 public key and auth secret (base64url): what
    -- the payload is encrypted to.
    p256dh       TEXT    NOT NULL,
    auth         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
-- Serves "the subscriptions of these people" (each push) and the cascade
-- from users.
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
-- Serves the cascade from sessions (logout).
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_hash);

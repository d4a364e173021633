-- The PostgreSQL twin of migrations/sqlite: the same tables, columns, keys and
-- indexes, so one sea-query statement works on both. Integers are BIGINT (ids
-- BIGSERIAL) because the driver decodes every integer column as i64; times are
-- milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT    NOT NULL,
    -- lower(username): makes uniqueness case-insensitive and serves login lookups.
    username_key  TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the bearer token: a leaked database does not leak live tokens.
    -- Primary key because every authenticated request looks a session up by it.
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
-- Serves "end every session of this user" and the cascade from users.
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE rooms (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT    NOT NULL,
    -- lower(name): case-insensitive uniqueness of room names.
    name_key         TEXT    NOT NULL UNIQUE,
    created_by       BIGINT  NOT NULL REFERENCES users (id),
    created_at       BIGINT  NOT NULL,
    -- The per-room seq counter. A post increments it with UPDATE ... RETURNING
    -- inside the insert's transaction, so concurrent writers serialize on this row.
    last_seq         BIGINT  NOT NULL DEFAULT 0,
    last_activity_at BIGINT  NOT NULL
);
-- Serves the room list, newest activity first.
CREATE INDEX rooms_last_activity ON rooms (last_activity_at DESC);

CREATE TABLE memberships (
    room_id   BIGINT  NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at BIGINT  NOT NULL,
    -- Serves the membership check on every read and post, and member counts.
    PRIMARY KEY (room_id, user_id)
);
-- Serves "rooms this user joined" and the cascade from users.
CREATE INDEX memberships_user_id ON memberships (user_id);

CREATE TABLE messages (
    id         BIGSERIAL PRIMARY KEY,
    room_id    BIGINT  NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        BIGINT  NOT NULL,
    author_id  BIGINT  NOT NULL REFERENCES users (id),
    body       TEXT    NOT NULL,
    client_id  TEXT,
    created_at BIGINT  NOT NULL
);
-- A page of history, a catch-up after seq N, and the newest message are each
-- one range scan of this index. Unique: no seq is ever used twice in a room.
CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq);
-- Idempotent sends: a retried client_id from the same author finds the
-- original instead of storing a copy.
CREATE UNIQUE INDEX messages_author_client_id ON messages (author_id, client_id)
    WHERE client_id IS NOT NULL;
CREATE INDEX messages_author_id ON messages (author_id);

-- Attachments (issue 18).

-- A file uploaded to be sent with a message. Its bytes are in the file
-- store (STORAGE_URL) under <id>, and its thumbnail, if it is an image,
-- under <id>.thumb; this row is what the server knows of it.
--
-- The row comes first (state 2, storing), then the files, then state 0
-- (ready): a file is never stored without a row that leads the sweeper to
-- it. Unsent (message_id NULL), it is its owner's alone, and deleted with
-- its files after a day. Sent, it belongs to its message's room: served
-- to the room's members, deleted with the message or the room. A deleted
-- one is first marked discarded (state 1), in the transaction that deletes
-- its message or room, and its files and row go after the commit
-- (services/uploads), so a crash between the two leaves a row to retry,
-- never a file nobody knows.
CREATE TABLE uploads (
    -- Random, 22 base64url characters: unguessable, and the files' key.
    id           TEXT    PRIMARY KEY,
    owner_id     INTEGER  NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    size         INTEGER  NOT NULL,
    -- Sniffed from the bytes.
    content_type TEXT    NOT NULL,
    width        INTEGER,
    height       INTEGER,
    -- Its thumbnail (<id>.thumb): 0 none, 1 JPEG, 2 PNG (transparent).
    thumbnail    INTEGER  NOT NULL DEFAULT 0,
    message_id   INTEGER  REFERENCES messages (id),
    room_id      INTEGER,
    -- Its place among its message's attachments.
    position     INTEGER  NOT NULL DEFAULT 0,
    -- 0 ready, 1 discarded, 2 storing.
    state        INTEGER  NOT NULL DEFAULT 2,
    created_at   INTEGER  NOT NULL
);
-- A message's attachments, in order (each page of history reads them).
CREATE INDEX uploads_message ON uploads (message_id, position);
-- Marking a deleted room's files.
CREATE INDEX uploads_room ON uploads (room_id);
-- A user's quota: the bytes of their files not discarded.
CREATE INDEX uploads_owner ON uploads (owner_id);
-- What the sweeper deletes: unsent ones past a day, and discarded ones.
CREATE INDEX uploads_unsent ON uploads (created_at) WHERE message_id IS NULL;
CREATE INDEX uploads_discarded ON uploads (id) WHERE state = 1;

-- Invitations to a room (issue 16): by username, and by link.

-- A pending invitation of one user to one room. Accepting joins and deletes
-- it; declining or revoking deletes it, so a row is exactly a live
-- invitation. Joining by any way settles it too.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    invitee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inviter_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
-- One pending invitation per person and room (inviting again finds it);
-- also serves "settle this member's invitation" on join.
CREATE UNIQUE INDEX invitations_room_invitee ON invitations (room_id, invitee_id);
-- Serves "my pending invitations" and the cascade from users.
CREATE INDEX invitations_invitee ON invitations (invitee_id);

-- A link anyone holding it can join by, until it expires, is used up or
-- is revoked. The token itself is never stored: its SHA-256 is, so a copy
-- of the database opens no room.
CREATE TABLE invite_links (
    id         INTEGER PRIMARY KEY,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- Serves every use of a link: accepting and revoking look it up by hash.
    token_hash TEXT    NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- NULL: no limit.
    max_uses   INTEGER,
    uses       INTEGER NOT NULL DEFAULT 0,
    -- Kept, not deleted, so a revoked link answers "expired", not "unknown".
    revoked_at INTEGER
);
-- Serves the cascade from rooms.
CREATE INDEX invite_links_room_id ON invite_links (room_id);

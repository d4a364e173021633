-- The per-room event log (app/src/server/events.rs): every durable change to
-- a room is one row here, numbered by the room's seq counter (rooms.last_seq)
-- in the transaction that makes the change. A subscriber's catch-up is one
-- range scan of the primary key; the rows point at the current state they
-- changed (a message, a user), which the catch-up sends as it is now.
CREATE TABLE events (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    -- message_posted, message_edited, message_deleted, reaction_added,
    -- reaction_removed, member_joined, member_left.
    kind       TEXT    NOT NULL,
    -- The message changed, for the message and reaction kinds.
    message_id INTEGER REFERENCES messages (id),
    -- Who: the author, editor, deleter, reacting, joining or leaving user.
    user_id    INTEGER REFERENCES users (id),
    -- The reaction kinds' emoji.
    emoji      TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;

-- Every message stored so far was posted by an event with its seq.
INSERT INTO events (room_id, seq, kind, message_id, user_id, created_at)
    SELECT room_id, seq, 'message_posted', id, author_id, created_at FROM messages;

-- When the body was last edited; NULL if never.
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
-- 1 once deleted: the row stays (id, seq, author and time), the body is ''.
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
-- The message this one answers, in the same room.
ALTER TABLE messages ADD COLUMN reply_to INTEGER REFERENCES messages (id);

CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The seq of the event that added it.
    seq        INTEGER NOT NULL,
    -- The seq at which this emoji's chip appeared (its first reaction since
    -- the chip last had none): chips are shown in this order, which a
    -- client applying the events can keep (docs/api.md).
    emoji_seq  INTEGER NOT NULL,
    -- One reaction per emoji per person; the prefix serves "the reactions
    -- of these messages" for every message a page or event carries.
    PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;

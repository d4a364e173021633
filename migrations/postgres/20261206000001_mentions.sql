-- Mentions (issue 17). A message names people with @username; the names
-- are resolved when it is stored, and again when it is edited, to the
-- room's members of that name: one row each. @room, which owners and
-- admins may use, mentions everyone in the room: a flag on the message,
-- not a row per member.
--
-- A member's mention count in a room is, like the unread count, a range of
-- messages_room_seq past their read marker, each message looked up here by
-- this primary key; so no other index is added.
CREATE TABLE mentions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, user_id)
);

ALTER TABLE messages ADD COLUMN mentions_room BIGINT NOT NULL DEFAULT 0;

-- Read markers (issue 17). Each membership remembers the seq up to which
-- its user has read the room: a message of someone else's with a higher
-- seq, not deleted, is unread. It only moves forward. Joining starts it at
-- the join's own seq (what was said before is not news to the newcomer);
-- a room's creator and a direct conversation's people start at 0.
--
-- The unread count of a room is a range of messages_room_seq
-- (room_id, seq > last_read_seq), so no index is added.
ALTER TABLE memberships ADD COLUMN last_read_seq BIGINT NOT NULL DEFAULT 0;

-- Those already in a room have read it so far, rather than all its
-- history turning up as news at once.
UPDATE memberships
SET last_read_seq = (SELECT rooms.last_seq FROM rooms WHERE rooms.id = memberships.room_id);

-- Notification levels (issue 17). Each membership says what its user is
-- notified of: 'all' messages, 'mentions' (and every message of a direct
-- conversation; the default) or 'none'; and whether the room is muted
-- (no notifications, and its unread messages are not called out).
ALTER TABLE memberships ADD COLUMN notify TEXT NOT NULL DEFAULT 'mentions';
ALTER TABLE memberships ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;

-- Who hears of every message of a room: read for each post, so it must
-- cost nothing in a room where nobody asked for all (the usual case).
CREATE INDEX memberships_notify_all ON memberships (room_id) WHERE notify = 'all';

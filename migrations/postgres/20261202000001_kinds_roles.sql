-- Room kinds and membership roles (issue 16).
--
-- public: listed to everyone, anyone may join. private: listed and readable
-- only by its members. direct: a conversation between 2-9 people.
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public';
-- One line set by an owner or admin; '' when none.
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
-- "Rooms visible to me" is the public rooms plus the rooms of my
-- memberships (memberships_user_id): this index serves the first half.
CREATE INDEX rooms_kind ON rooms (kind);

-- owner, admin or member. A room always has an owner while it has members.
ALTER TABLE memberships ADD COLUMN role TEXT NOT NULL DEFAULT 'member';

-- The creator owns the rooms they are still in; a room its creator left is
-- owned by its longest-standing member (the earliest joined, then the
-- lowest user id), as a last owner leaving hands it on from now on.
UPDATE memberships SET role = 'owner'
WHERE EXISTS (
    SELECT 1 FROM rooms
    WHERE rooms.id = memberships.room_id AND rooms.created_by = memberships.user_id
);
UPDATE memberships SET role = 'owner'
WHERE NOT EXISTS (
        SELECT 1 FROM memberships o WHERE o.room_id = memberships.room_id AND o.role = 'owner'
    )
    AND NOT EXISTS (
        SELECT 1 FROM memberships e
        WHERE e.room_id = memberships.room_id
          AND (e.joined_at < memberships.joined_at
               OR (e.joined_at = memberships.joined_at AND e.user_id < memberships.user_id))
    );

-- What else an event says: the new role of member_role_changed, and why a
-- member_left ('left' or 'removed'; NULL read as 'left').
ALTER TABLE events ADD COLUMN detail TEXT;

-- Deleting a room (issue 16). The row and its log stay, so that the
-- room_deleted event takes the room's next seq like every change, and a
-- node catching up on the log replays it; everything else of the room goes
-- when it is deleted (its memberships, invitations and links, its messages'
-- text and reactions), and its name is freed. NULL while the room exists;
-- every query that finds rooms for people asks for NULL.
ALTER TABLE rooms ADD COLUMN deleted_at INTEGER;

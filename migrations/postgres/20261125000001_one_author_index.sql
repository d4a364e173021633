-- One index on (author_id, client_id) over every message, instead of a
-- partial unique index for client_ids plus a second index on author_id.
-- It serves the idempotent-send lookup (author_id = ? AND client_id = ?),
-- the cascade from users (its author_id prefix), and keeps retried sends
-- unique: NULL client_ids never collide. Each message now updates one
-- author-ordered index instead of two, and those are the pages a batch of
-- posts from many authors dirties at random (docs/benchmarks.md, burst).
DROP INDEX messages_author_client_id;
DROP INDEX messages_author_id;
CREATE UNIQUE INDEX messages_author_client_id ON messages (author_id, client_id);

-- Full-text search over messages (issue 18), with PostgreSQL's full-text
-- search.
--
-- The document is the body with ASCII punctuation made spaces, so that the
-- parser sees the words SQLite's unicode61 tokenizer sees (it would keep
-- `example.com` or `a@b.c` whole, as hosts and emails) and the same query
-- finds the same messages on both backends; the `simple` configuration
-- folds case and neither stems nor drops stop words (a chat is in every
-- language). A generated column: an edit is searched by its new text only
-- and a deletion (the body emptied) matches nothing.
ALTER TABLE messages ADD COLUMN body_tsv tsvector GENERATED ALWAYS AS
    (to_tsvector('simple', regexp_replace(body, '[!-/:-@\[-`{-~]+', ' ', 'g'))) STORED;

-- Serves every search: the @@ match of messages_body_tsv.
CREATE INDEX messages_body_tsv ON messages USING GIN (body_tsv);

-- Full-text search over messages (issue 18), with SQLite's FTS5.
--
-- An external-content table: the text lives once, in messages.body, and
-- the index follows it through the triggers below, so an edit is searched
-- by its new text only and a deletion (the body emptied) matches nothing.
-- unicode61 splits on every character that is not a letter or a digit and
-- folds case; diacritics are kept, as PostgreSQL's index keeps them (the
-- same query finds the same messages on both backends).
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;

-- The messages stored before search existed.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

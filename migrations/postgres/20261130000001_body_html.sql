-- The body rendered to safe HTML when the message is stored
-- (app/src/server/format.rs), so a history page is read, not rendered.
-- NULL for messages stored before formatting existed: those are rendered
-- when read. No index: it is only ever read with its row.
ALTER TABLE messages ADD COLUMN body_html TEXT;

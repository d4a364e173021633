-- Direct conversations and finding people by name (issue 16).
--
-- A direct conversation is a room of kind 'direct' whose people are set
-- when it starts. Its name_key is E'\x01direct ' followed by its people's
-- ids in ascending order, comma-separated: no room name can hold a control
-- character, so the key never meets a room's, and the name_key uniqueness
-- makes one conversation per set of people, however many start it at once.
-- Its name is its people's usernames; each member sees the others' names
-- as its title.

-- The "New message" dialog finds people by the start of their username
-- (`username_key LIKE 'prefix%'`); the unique index on username_key
-- follows the database's collation, which a LIKE prefix can use only when
-- it is C, so this one compares bytes whatever the collation.
CREATE INDEX users_username_prefix ON users (username_key text_pattern_ops);

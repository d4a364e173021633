-- Presence (issue 17): who has a socket open, on which node, and when they
-- last used it. Not history: rows come and go with sockets, and a node's
-- rows count only while the node beats (a node killed outright stops
-- beating, and its people stop counting as here). Times are ms since the
-- epoch, written by the nodes' clocks.
CREATE TABLE nodes (
    id       TEXT PRIMARY KEY,
    beat_at  INTEGER NOT NULL
);

CREATE TABLE presence (
    node_id    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active_at  INTEGER NOT NULL,
    PRIMARY KEY (node_id, user_id)
);

-- The presence of given people (a member list, a direct conversation).
CREATE INDEX presence_user ON presence (user_id);

//! Table and column names for sea-query, mirroring `migrations/`. The
//! migrations are the source of truth; this file only spells their names.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    PasswordHash,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Rooms {
    Table,
    Id,
    Name,
    NameKey,
    CreatedBy,
    CreatedAt,
    LastSeq,
    LastActivityAt,
    Kind,
    Topic,
    DeletedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Memberships {
    Table,
    RoomId,
    UserId,
    JoinedAt,
    Role,
    LastReadSeq,
    Notify,
    Muted,
}

#[derive(Iden, Clone, Copy)]
pub enum Messages {
    Table,
    Id,
    RoomId,
    Seq,
    AuthorId,
    Body,
    BodyHtml,
    ClientId,
    CreatedAt,
    EditedAt,
    Deleted,
    ReplyTo,
    MentionsRoom,
}

#[derive(Iden, Clone, Copy)]
pub enum Mentions {
    Table,
    MessageId,
    UserId,
}

#[derive(Iden, Clone, Copy)]
pub enum Events {
    Table,
    RoomId,
    Seq,
    Kind,
    MessageId,
    UserId,
    Emoji,
    CreatedAt,
    Detail,
}

#[derive(Iden, Clone, Copy)]
pub enum Reactions {
    Table,
    MessageId,
    Emoji,
    UserId,
    Seq,
    EmojiSeq,
}

#[derive(Iden, Clone, Copy)]
pub enum Invitations {
    Table,
    Id,
    RoomId,
    InviteeId,
    InviterId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum InviteLinks {
    Table,
    Id,
    RoomId,
    TokenHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    MaxUses,
    Uses,
    RevokedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Nodes {
    Table,
    Id,
    BeatAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Presence {
    Table,
    NodeId,
    UserId,
    ActiveAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ServerKeys {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum PushSubscriptions {
    Table,
    Id,
    UserId,
    SessionHash,
    Endpoint,
    P256dh,
    Auth,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Uploads {
    Table,
    Id,
    OwnerId,
    Name,
    Size,
    ContentType,
    Width,
    Height,
    Thumbnail,
    MessageId,
    RoomId,
    Position,
    State,
    CreatedAt,
}

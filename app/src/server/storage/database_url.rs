//! `DATABASE_URL`, which may carry the database's password
//! (`postgres://chat:secret@db/chat`): whoever reads the logs must not learn
//! it. The URL is kept behind this type, whose `Display` and `Debug` both
//! hide the password, so logging the configuration or an error about the
//! database cannot print it; only the driver gets the text, by
//! [`DatabaseUrl::expose`].

use std::fmt;

/// What replaces a password when the URL is printed.
const HIDDEN: &str = "***";

#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL as written, password included: for the database driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with the password in its user part and in any `password=`
    /// parameter replaced. The user part runs from `://` to the last `@`
    /// (a password may hold `/`, `?` or `@` unencoded); text that is not a
    /// `scheme://` URL at all (a key=value connection string) is not
    /// printed.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some((scheme, rest)) = url
            .split_once("://")
            .filter(|(scheme, _)| is_scheme(scheme))
        else {
            return HIDDEN.to_owned();
        };
        let (user, after_user) = match rest.rfind('@') {
            Some(at) => {
                let user = match rest[..at].split_once(':') {
                    Some((name, _password)) => format!("{name}:{HIDDEN}@"),
                    None => format!("{}@", &rest[..at]),
                };
                (user, &rest[at + 1..])
            }
            None => (String::new(), rest),
        };
        let mut out = format!("{scheme}://{user}");
        match after_user.split_once('?') {
            Some((place, query)) => {
                let params: Vec<String> = query
                    .split('&')
                    .map(|param| match param.split_once('=') {
                        Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                            format!("{name}={HIDDEN}")
                        }
                        _ => param.to_owned(),
                    })
                    .collect();
                out.push_str(place);
                out.push('?');
                out.push_str(&params.join("&"));
            }
            None => out.push_str(after_user),
        }
        out
    }

    /// The part before `:`, when it is a URL scheme: what an error about
    /// an unusable URL may name without printing a secret.
    pub fn scheme(&self) -> Option<&str> {
        self.0
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .filter(|scheme| is_scheme(scheme))
    }
}

/// RFC 3986: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        for (url, shown) in [
            (
                "postgres://chat:s3cr@t@db.example:5432/chat",
                "postgres://chat:***@db.example:5432/chat",
            ),
            (
                "postgres://chat:pw@db/chat?sslmode=require&password=other",
                "postgres://chat:***@db/chat?sslmode=require&password=***",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/chat",
                "postgres://postgres@127.0.0.1:5432/chat",
            ),
            ("sqlite://chat.db", "sqlite://chat.db"),
            ("sqlite://a@b/chat.db", "sqlite://a@b/chat.db"),
            // Unencoded '?', '/' and '@' in the password.
            (
                "postgres://chat:pa?ss/w@rd@db/chat?sslmode=require",
                "postgres://chat:***@db/chat?sslmode=require",
            ),
            // Not a URL: nothing past the first key.
            ("host=db password=hunter4 user=chat", "***"),
        ] {
            let url = DatabaseUrl::new(url);
            assert_eq!(url.to_string(), shown);
            assert!(format!("{url:?}").contains(shown));
        }
        for secret in [
            "postgres://u:hunter2@h/d?password=hunter3",
            "postgres://u:hun/ter?2@h/d",
            "hunter5",
            "password=hunter6",
        ] {
            let secret = DatabaseUrl::new(secret);
            for printed in [secret.to_string(), format!("{secret:?}")] {
                assert!(!printed.contains("hunter"), "{printed}");
            }
        }
        assert_eq!(DatabaseUrl::new("mysql://u:p@h/d").scheme(), Some("mysql"));
        assert_eq!(DatabaseUrl::new("host=db password=x").scheme(), None);
    }
}

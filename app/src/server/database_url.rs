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
    /// parameter replaced.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let (head, query) = match url.split_once('?') {
            Some((head, query)) => (head, Some(query)),
            None => (url.as_str(), None),
        };
        let mut out = match head.split_once("://") {
            Some((scheme, rest)) => {
                // The user part ends at the last '@' before the path.
                let authority_end = rest.find('/').unwrap_or(rest.len());
                match rest[..authority_end].rfind('@') {
                    Some(at) => {
                        let user = match rest[..at].split_once(':') {
                            Some((name, _password)) => format!("{name}:{HIDDEN}"),
                            None => rest[..at].to_owned(),
                        };
                        format!("{scheme}://{user}{}", &rest[at..])
                    }
                    None => head.to_owned(),
                }
            }
            None => head.to_owned(),
        };
        if let Some(query) = query {
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}={HIDDEN}")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            out.push('?');
            out.push_str(&params.join("&"));
        }
        out
    }
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
        ] {
            let url = DatabaseUrl::new(url);
            assert_eq!(url.to_string(), shown);
            assert!(format!("{url:?}").contains(shown));
        }
        let secret = DatabaseUrl::new("postgres://u:hunter2@h/d?password=hunter3");
        for printed in [secret.to_string(), format!("{secret:?}")] {
            assert!(!printed.contains("hunter"), "{printed}");
        }
    }
}

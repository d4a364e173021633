//! The server's configuration, read once from the environment at start.
//!
//! Every variable is listed in README "Configuration" with its default. A
//! variable that is set but unusable stops the server with a message naming
//! it, rather than running with a value the operator did not mean; unset
//! ones take the safe defaults in `app::server::Settings`.

use std::str::FromStr;
use std::time::Duration;

use app::server::Settings;
use app::server::storage::db::DatabaseUrl;
use axum::http::HeaderName;
use leptos::config::LeptosOptions;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub settings: Settings,
    pub leptos: LeptosOptions,
}

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {expected}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    expected: &'static str,
}

impl Config {
    /// Reads the settings listed in README "Configuration" and the
    /// `LEPTOS_*` variables cargo-leptos sets.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any source of variables (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let leptos = leptos_options(&var);
        check_hash_file(&leptos)?;
        let env = Env(&var);
        let defaults = Settings::default();
        let (login, sends, sockets, presence, push, uploads) = (
            &defaults.login,
            &defaults.sends,
            &defaults.sockets,
            &defaults.presence,
            &defaults.push,
            &defaults.uploads,
        );
        let settings = Settings {
            cookie_secure: env.parse("COOKIE_SECURE", false, "true or false")?,
            session_ttl: days(env.positive("SESSION_TTL_DAYS", 30)?),
            allowed_origins: env.origins("ALLOWED_ORIGINS")?,
            client_ip_header: env.header_name("CLIENT_IP_HEADER")?,
            login: app::server::services::login_limiter::LoginLimits {
                per_account: env.positive("LOGIN_MAX_FAILURES", login.per_account)?,
                per_address: env.positive("LOGIN_MAX_FAILURES_PER_ADDRESS", login.per_address)?,
                window: secs(env.positive("LOGIN_WINDOW_SECS", login.window.as_secs())?),
                registrations_per_address: env
                    .positive("REGISTER_MAX_PER_ADDRESS", login.registrations_per_address)?,
            },
            sends: app::server::services::send_rate::SendLimits {
                burst: env.positive("SEND_BURST", sends.burst)?,
                window: secs(env.positive("SEND_WINDOW_SECS", sends.window.as_secs())?),
            },
            sockets: app::server::SocketLimits {
                queue: env.positive("WS_QUEUE_LIMIT", sockets.queue)?,
                write_timeout: secs(
                    env.positive("WS_WRITE_TIMEOUT_SECS", sockets.write_timeout.as_secs())?,
                ),
                ping_every: secs(env.positive("WS_PING_SECS", sockets.ping_every.as_secs())?),
                idle_timeout: secs(
                    env.positive("WS_IDLE_TIMEOUT_SECS", sockets.idle_timeout.as_secs())?,
                ),
                max_subscriptions: env
                    .positive("WS_MAX_SUBSCRIPTIONS", sockets.max_subscriptions)?,
                max_per_user: env.positive("WS_MAX_SOCKETS_PER_USER", sockets.max_per_user)?,
            },
            presence: app::server::live::presence::PresenceTimes {
                beat: secs(env.positive("PRESENCE_BEAT_SECS", presence.beat.as_secs())?),
                away_after: secs(
                    env.positive("PRESENCE_AWAY_SECS", presence.away_after.as_secs())?,
                ),
            },
            push: app::server::services::push::PushSettings {
                services: env
                    .hosts("PUSH_SERVICES")?
                    .unwrap_or_else(|| push.services.clone()),
                contact: env
                    .contact("PUSH_CONTACT")?
                    .unwrap_or_else(|| push.contact.clone()),
            },
            uploads: app::server::services::uploads::UploadSettings {
                storage_url: env
                    .storage_url("STORAGE_URL")?
                    .unwrap_or_else(|| uploads.storage_url.clone()),
                max_bytes: env.positive("UPLOAD_MAX_BYTES", uploads.max_bytes)?,
                quota_bytes: env.positive("UPLOAD_QUOTA_BYTES", uploads.quota_bytes)?,
                types: env
                    .media_types("UPLOAD_TYPES")?
                    .unwrap_or_else(|| uploads.types.clone()),
                sweep_every: secs(
                    env.positive("UPLOAD_SWEEP_SECS", uploads.sweep_every.as_secs())?,
                ),
            },
        };
        if settings.sockets.idle_timeout <= settings.sockets.ping_every {
            return Err(ConfigError {
                name: "WS_IDLE_TIMEOUT_SECS",
                value: settings.sockets.idle_timeout.as_secs().to_string(),
                expected: "longer than WS_PING_SECS, or every quiet socket is dropped",
            });
        }
        Ok(Self {
            database_url: DatabaseUrl::new(
                var("DATABASE_URL").unwrap_or_else(|| "sqlite://chat.db".into()),
            ),
            settings,
            leptos,
        })
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(24 * 60 * 60))
}

/// The variables, with the parsing each kind of setting needs.
struct Env<'a, F>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn parse<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        match (self.0)(name) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|_| ConfigError {
                name,
                value,
                expected,
            }),
        }
    }

    /// A whole number of at least 1: a zero limit would refuse everything.
    fn positive<T: FromStr + PartialOrd + From<u8>>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        const EXPECTED: &str = "a whole number, at least 1";
        let value = self.parse(name, default, EXPECTED)?;
        if value < T::from(1) {
            return Err(ConfigError {
                name,
                value: "0".into(),
                expected: EXPECTED,
            });
        }
        Ok(value)
    }

    /// Comma-separated origins, each `scheme://host[:port]` and nothing more.
    fn origins(&self, name: &'static str) -> Result<Vec<String>, ConfigError> {
        let Some(value) = (self.0)(name) else {
            return Ok(Vec::new());
        };
        value
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                let valid = origin.split_once("://").is_some_and(|(scheme, authority)| {
                    matches!(scheme, "http" | "https")
                        && !authority.is_empty()
                        && !authority.contains(['/', '?', '#', ' '])
                });
                if valid {
                    Ok(origin.to_ascii_lowercase())
                } else {
                    Err(ConfigError {
                        name,
                        value: origin.to_owned(),
                        expected: "origins like https://chat.example or http://localhost:3000, \
                                   separated by commas",
                    })
                }
            })
            .collect()
    }

    /// Comma-separated host names, each exact or `*.domain` for the hosts
    /// under it; set but empty is none at all.
    fn hosts(&self, name: &'static str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = (self.0)(name) else {
            return Ok(None);
        };
        value
            .split(',')
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .map(|host| {
                let name_part = host.strip_prefix("*.").unwrap_or(host);
                let valid = !name_part.is_empty()
                    && name_part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
                if valid {
                    Ok(host.to_ascii_lowercase())
                } else {
                    Err(ConfigError {
                        name,
                        value: host.to_owned(),
                        expected: "host names like fcm.googleapis.com or *.push.apple.com, \
                                   separated by commas",
                    })
                }
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// Where files are kept: `file://<dir>`, `s3://<bucket>` or `memory://`.
    fn storage_url(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(value) = (self.0)(name) else {
            return Ok(None);
        };
        let url = value.trim();
        let valid = ["file://", "s3://", "memory://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
            && !(url.starts_with("s3://") && url.len() == "s3://".len());
        if valid {
            Ok(Some(url.to_owned()))
        } else {
            Err(ConfigError {
                name,
                value,
                expected: "file://<directory> or s3://<bucket>",
            })
        }
    }

    /// Comma-separated media types, each exact (`application/pdf`) or a
    /// family (`image/*`); `*` or empty for any.
    fn media_types(&self, name: &'static str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = (self.0)(name) else {
            return Ok(None);
        };
        let token = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        };
        let mut types = Vec::new();
        for listed in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let listed = listed.to_ascii_lowercase();
            let valid = listed == "*"
                || listed
                    .split_once('/')
                    .is_some_and(|(family, kind)| token(family) && (kind == "*" || token(kind)));
            if !valid {
                return Err(ConfigError {
                    name,
                    value: listed,
                    expected: "media types like image/* or application/pdf, separated by commas",
                });
            }
            if listed != "*" {
                types.push(listed);
            } else {
                return Ok(Some(Vec::new()));
            }
        }
        Ok(Some(types))
    }

    /// A `mailto:` or `https:` URL someone reads.
    fn contact(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        match (self.0)(name) {
            None => Ok(None),
            Some(value) => {
                let contact = value.trim();
                let valid = ["mailto:", "https://"]
                    .iter()
                    .any(|scheme| contact.len() > scheme.len() && contact.starts_with(scheme))
                    && !contact.contains(char::is_whitespace);
                if valid {
                    Ok(Some(contact.to_owned()))
                } else {
                    Err(ConfigError {
                        name,
                        value,
                        expected: "mailto:you@example.com or an https:// URL",
                    })
                }
            }
        }
    }

    fn header_name(&self, name: &'static str) -> Result<Option<HeaderName>, ConfigError> {
        match (self.0)(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(value) => HeaderName::from_str(value.trim())
                .map(Some)
                .map_err(|_| ConfigError {
                    name,
                    value,
                    expected: "a header name such as X-Forwarded-For",
                }),
        }
    }
}

/// cargo-leptos's settings when it runs the server. Run on its own (the
/// several-nodes recipe: `target/release/chat`), the binary serves what
/// `cargo leptos build` wrote for it: the site beside its directory
/// (`target/site` for `target/release/chat`, from any working directory)
/// and hashed file names exactly when cargo-leptos left the hash file next
/// to it. Any `LEPTOS_*` variable that is set wins.
fn leptos_options(var: &impl Fn(&str) -> Option<String>) -> LeptosOptions {
    let mut options = leptos::config::get_configuration(None)
        .map(|conf| conf.leptos_options)
        .unwrap_or_else(|_| LeptosOptions::builder().output_name("chat").build());
    if options.output_name.is_empty() {
        options.output_name = "chat".into();
    }
    if let Some(addr) = var("LEPTOS_SITE_ADDR").and_then(|a| a.parse().ok()) {
        options.site_addr = addr;
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf));
    if var("LEPTOS_SITE_ROOT").is_none()
        && let Some(site) = exe_dir
            .as_deref()
            .and_then(std::path::Path::parent)
            .map(|target| target.join("site"))
            .filter(|site| site.join(options.site_pkg_dir.as_ref()).is_dir())
    {
        options.site_root = site.to_string_lossy().as_ref().into();
    }
    if var("LEPTOS_HASH_FILES").is_none() {
        options.hash_files =
            exe_dir.is_some_and(|dir| dir.join(options.hash_file.as_ref()).is_file());
    }
    options
}

/// With `LEPTOS_HASH_FILES=true`, every page names files by the hashes
/// cargo-leptos wrote next to the binary, and Leptos panics rendering a page
/// without them: better not to start.
fn check_hash_file(leptos: &LeptosOptions) -> Result<(), ConfigError> {
    if !leptos.hash_files {
        return Ok(());
    }
    let path = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(leptos.hash_file.as_ref())));
    match path {
        Some(path) if path.is_file() => Ok(()),
        path => Err(ConfigError {
            name: "LEPTOS_HASH_FILES",
            value: "true".into(),
            expected: "the hash file cargo-leptos writes next to the binary \
                       (build with `cargo leptos build`), or false",
        })
        .inspect_err(|_| tracing::error!(?path, "hash file missing")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn nothing_set_gives_the_safe_defaults() {
        let settings = config(&[]).unwrap().settings;
        assert_eq!(settings.session_ttl, days(30));
        assert_eq!(settings.sends.burst, 20);
        assert_eq!(settings.sends.window, secs(10));
        assert_eq!(settings.login.per_account, 10);
        assert!(settings.allowed_origins.is_empty());
        assert!(settings.client_ip_header.is_none());
        assert_eq!(settings.uploads.storage_url, "file://uploads");
        assert_eq!(settings.uploads.max_bytes, 25 << 20);
        assert!(settings.uploads.types.is_empty());
    }

    #[test]
    fn each_setting_is_read() {
        let settings = config(&[
            ("SESSION_TTL_DAYS", "7"),
            (
                "ALLOWED_ORIGINS",
                "https://Chat.Example, http://localhost:3000",
            ),
            ("CLIENT_IP_HEADER", "X-Forwarded-For"),
            ("LOGIN_MAX_FAILURES", "5"),
            ("SEND_BURST", "50"),
            ("WS_MAX_SOCKETS_PER_USER", "3"),
            ("WS_IDLE_TIMEOUT_SECS", "90"),
            ("PUSH_SERVICES", "Push.Example, *.push.example.net"),
            ("PUSH_CONTACT", "mailto:ops@chat.example"),
            ("STORAGE_URL", "s3://chat-files"),
            ("UPLOAD_MAX_BYTES", "1048576"),
            ("UPLOAD_QUOTA_BYTES", "10485760"),
            ("UPLOAD_TYPES", "Image/*, application/pdf"),
        ])
        .unwrap()
        .settings;
        assert_eq!(settings.session_ttl, days(7));
        assert_eq!(
            settings.allowed_origins,
            ["https://chat.example", "http://localhost:3000"]
        );
        assert_eq!(settings.client_ip_header.unwrap(), "x-forwarded-for");
        assert_eq!(settings.login.per_account, 5);
        assert_eq!(settings.sends.burst, 50);
        assert_eq!(settings.sockets.max_per_user, 3);
        assert_eq!(settings.sockets.idle_timeout, secs(90));
        assert_eq!(
            settings.push.services,
            ["push.example", "*.push.example.net"]
        );
        assert_eq!(settings.push.contact, "mailto:ops@chat.example");
        assert_eq!(settings.uploads.storage_url, "s3://chat-files");
        assert_eq!(settings.uploads.max_bytes, 1 << 20);
        assert_eq!(settings.uploads.quota_bytes, 10 << 20);
        assert_eq!(settings.uploads.types, ["image/*", "application/pdf"]);
        let any = config(&[("UPLOAD_TYPES", "*")]).unwrap().settings;
        assert!(any.uploads.types.is_empty());
        // Set but empty: pushed to no service at all.
        let none = config(&[("PUSH_SERVICES", "")]).unwrap().settings;
        assert!(none.push.services.is_empty());
    }

    #[test]
    fn unusable_values_are_refused_by_name() {
        for (name, value) in [
            ("SEND_BURST", "0"),
            ("SEND_BURST", "lots"),
            ("SESSION_TTL_DAYS", "-1"),
            ("ALLOWED_ORIGINS", "chat.example"),
            ("ALLOWED_ORIGINS", "https://chat.example/path"),
            ("CLIENT_IP_HEADER", "not a header"),
            ("WS_IDLE_TIMEOUT_SECS", "10"),
            ("COOKIE_SECURE", "yes please"),
            ("PUSH_SERVICES", "https://fcm.googleapis.com"),
            ("PUSH_SERVICES", "*."),
            ("PUSH_CONTACT", "ops@chat.example"),
            ("PUSH_CONTACT", "http://chat.example"),
            ("STORAGE_URL", "/var/lib/chat"),
            ("STORAGE_URL", "s3://"),
            ("UPLOAD_MAX_BYTES", "0"),
            ("UPLOAD_TYPES", "images"),
            ("UPLOAD_TYPES", "image/*;q=1"),
        ] {
            let error = config(&[(name, value)]).unwrap_err().to_string();
            assert!(error.starts_with(name), "{name}={value}: {error}");
        }
    }
}

//! `first-load`: what a browser with an empty cache downloads to show a
//! page: the HTML, then every stylesheet, script and WASM module the HTML
//! names, each as the server sends it to a browser that accepts brotli and
//! gzip. The bytes counted are the bytes on the wire (compressed bodies).
//!
//! It needs the site built in release mode (`cargo leptos build --release
//! --precompress`, as `make bench` does): a debug WASM says nothing about
//! what users download.

use anyhow::{Context, bail};
use serde::Serialize;

use crate::api::Api;

const ACCEPT_ENCODING: &str = "br, gzip";

/// Files a page's own script fetches later, which its HTML cannot name: the
/// login page loads the React island's bundle when the form mounts
/// (`app/src/island.rs`).
const LOADED_BY_SCRIPT: &[(&str, &str)] = &[("/login", "/island/login.js")];

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub pages: Vec<PageLoad>,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PageLoad {
    /// The route measured, with its real id replaced by `{id}`.
    pub page: String,
    pub total_bytes: u64,
    pub files: Vec<FileLoad>,
}

#[derive(Debug, Serialize)]
pub struct FileLoad {
    pub path: String,
    pub bytes: u64,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
}

impl FileLoad {
    /// Scripts, styles and WASM must come compressed, and those whose name
    /// carries a content hash must be cacheable for good.
    fn shortcomings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let static_kind = [".js", ".wasm", ".css"]
            .iter()
            .any(|ext| self.path.ends_with(ext));
        if static_kind && self.content_encoding.is_none() {
            out.push(format!("{} was sent uncompressed", self.path));
        }
        let hashed = self.path.starts_with("/pkg/") && self.path.matches('.').count() >= 2;
        let forever = self
            .cache_control
            .as_deref()
            .is_some_and(|c| c.contains("immutable"));
        if hashed && !forever {
            out.push(format!(
                "{} has a hashed name but Cache-Control {:?}",
                self.path, self.cache_control
            ));
        }
        out
    }
}

impl Outcome {
    pub fn page(&self, page: &str) -> Option<&PageLoad> {
        self.pages.iter().find(|p| p.page == page)
    }

    /// Whether every static file of every page was compressed and cacheable.
    pub fn assets_ok(&self) -> bool {
        self.pages
            .iter()
            .flat_map(|p| &p.files)
            .all(|f| f.shortcomings().is_empty())
    }
}

pub async fn run(api: &Api) -> anyhow::Result<Outcome> {
    let user = api.register("firstload").await?;
    let room_id = api.create_room(&user, "first load").await?;
    let mut pages = Vec::new();
    for (path, label, token) in [
        ("/login".to_owned(), "/login", None),
        (
            format!("/rooms/{room_id}"),
            "/rooms/{id}",
            Some(&user.token),
        ),
    ] {
        pages.push(load(api, &path, label, token.map(String::as_str)).await?);
    }
    let problems = pages
        .iter()
        .flat_map(|p| &p.files)
        .flat_map(FileLoad::shortcomings)
        .collect();
    Ok(Outcome { pages, problems })
}

async fn load(api: &Api, path: &str, label: &str, token: Option<&str>) -> anyhow::Result<PageLoad> {
    let html = api.get_raw(path, token, ACCEPT_ENCODING).await?;
    if html.status != 200 {
        bail!("{path} answered {}", html.status);
    }
    let text = api
        .get_raw(path, token, "identity")
        .await
        .and_then(|r| String::from_utf8(r.body).context("page is UTF-8"))?;
    let mut files = vec![FileLoad {
        path: path.to_owned(),
        bytes: html.body.len() as u64,
        content_encoding: html.content_encoding,
        cache_control: html.cache_control,
    }];
    let extra = LOADED_BY_SCRIPT
        .iter()
        .filter(|(page, _)| *page == path)
        .map(|(_, file)| (*file).to_owned());
    for asset in referenced_assets(&text).into_iter().chain(extra) {
        let response = api.get_raw(&asset, None, ACCEPT_ENCODING).await?;
        if response.status != 200 {
            bail!("{asset}, named by {path}, answered {}", response.status);
        }
        files.push(FileLoad {
            path: asset,
            bytes: response.body.len() as u64,
            content_encoding: response.content_encoding,
            cache_control: response.cache_control,
        });
    }
    Ok(PageLoad {
        page: label.to_owned(),
        total_bytes: files.iter().map(|f| f.bytes).sum(),
        files,
    })
}

/// Every same-origin path to a stylesheet, script, WASM module or icon
/// quoted in the HTML: attributes and the hydration script's imports alike.
fn referenced_assets(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        for (i, piece) in html.split(quote).enumerate() {
            let inside_quotes = i % 2 == 1;
            let asset = piece.starts_with('/')
                && !piece.starts_with("//")
                && [".js", ".wasm", ".css", ".svg"]
                    .iter()
                    .any(|ext| piece.ends_with(ext));
            if inside_quotes && asset && !found.iter().any(|f| f == piece) {
                found.push(piece.to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_found_in_attributes_and_scripts_once_each() {
        let html = r#"<link rel="stylesheet" href="/pkg/chat.Ab.css"><link rel="icon" href="/favicon.svg">
            <link rel="modulepreload" href="/pkg/chat.Cd.js">
            <script type="module">import('/pkg/chat.Cd.js').then(m => m.default({module_or_path: '/pkg/chat_bg.Ef.wasm'}))</script>
            <a href="/rooms/1">room</a><img src="https://elsewhere.example/x.svg"><img src="//cdn.example/y.js">"#;
        assert_eq!(
            referenced_assets(html),
            [
                "/pkg/chat.Ab.css",
                "/favicon.svg",
                "/pkg/chat.Cd.js",
                "/pkg/chat_bg.Ef.wasm"
            ]
        );
    }

    #[test]
    fn uncompressed_or_uncacheable_static_files_are_reported() {
        let file = |path: &str, encoding: Option<&str>, cache: &str| FileLoad {
            path: path.into(),
            bytes: 1,
            content_encoding: encoding.map(Into::into),
            cache_control: Some(cache.into()),
        };
        let forever = "public, max-age=31536000, immutable";
        assert!(
            file("/pkg/chat.Ab.wasm", Some("br"), forever)
                .shortcomings()
                .is_empty()
        );
        assert!(
            file("/favicon.svg", None, "no-cache")
                .shortcomings()
                .is_empty()
        );
        assert_eq!(
            file("/pkg/chat.Ab.wasm", None, forever)
                .shortcomings()
                .len(),
            1
        );
        assert_eq!(
            file("/pkg/chat.Ab.js", Some("br"), "no-cache")
                .shortcomings()
                .len(),
            1
        );
    }
}

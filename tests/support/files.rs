//! Where a test server keeps uploaded files: a directory of the test's
//! own, or, with `CHAT_TEST_S3_URL` set (`tests/s3/with-s3.sh`, as
//! `make test` runs the PostgreSQL pass), a fresh bucket on that
//! S3-compatible server. Either way the test can list what is stored.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub fn uses_s3() -> bool {
    std::env::var("CHAT_TEST_S3_URL").is_ok()
}

/// A test's file store: its `STORAGE_URL`, and how to look inside.
pub enum TestFiles {
    Dir(PathBuf),
    Bucket { endpoint: String, bucket: String },
}

impl TestFiles {
    /// A store for one test: under `dir`, or a new bucket.
    pub async fn create(dir: &Path) -> Self {
        let Ok(endpoint) = std::env::var("CHAT_TEST_S3_URL") else {
            return TestFiles::Dir(dir.join("files"));
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bucket = format!(
            "chat-test-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let made = reqwest::Client::new()
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .expect("the S3 test server (CHAT_TEST_S3_URL) answers");
        assert!(made.status().is_success(), "bucket not made: {made:?}");
        TestFiles::Bucket { endpoint, bucket }
    }

    pub fn storage_url(&self) -> String {
        match self {
            TestFiles::Dir(dir) => format!("file://{}", dir.display()),
            TestFiles::Bucket { endpoint, bucket } => format!(
                "s3://{bucket}?endpoint={endpoint}&allow_http=true&region=us-east-1\
                 &access_key_id=test&secret_access_key=test"
            ),
        }
    }

    /// The keys stored, sorted.
    pub async fn keys(&self) -> Vec<String> {
        let mut keys = match self {
            TestFiles::Dir(dir) => match std::fs::read_dir(dir) {
                Ok(entries) => entries
                    .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(_) => Vec::new(),
            },
            TestFiles::Bucket { endpoint, bucket } => {
                let listing = reqwest::get(format!("{endpoint}/{bucket}?list-type=2"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                listing
                    .split("<Key>")
                    .skip(1)
                    .filter_map(|part| part.split_once("</Key>").map(|(key, _)| key.to_owned()))
                    .collect()
            }
        };
        keys.sort();
        keys
    }
}

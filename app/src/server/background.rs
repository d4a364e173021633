//! The node's long-running tasks (the message writer, the publisher, the
//! PostgreSQL listener) and the one signal that stops them all.
//!
//! Shutdown runs in order (`src/startup.rs`): the server stops accepting,
//! every socket answers the frames in hand and closes, and only then is
//! [`Background::stop`] called, so that a send a socket was handling is
//! stored and acknowledged before the writer goes. Each task hears the
//! same cancellation and finishes its work in hand (the writer commits
//! every post already queued, the publisher publishes every commit) before
//! it returns; `stop` waits for all of them, so nothing is left running
//! when the server returns. (tokio-rs/mini-redis teaches the pattern.)

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Clone, Default)]
pub struct Background {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Background {
    /// Runs `task` until it returns; it should watch [`Self::stopping`].
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(task);
    }

    /// Runs `task` on a thread of its own, with its own single-threaded
    /// runtime, until it returns; it should watch [`Self::stopping`].
    ///
    /// For a task on every request's path that must not queue behind the
    /// socket tasks: on the shared runtime each of its wake-ups waits its
    /// turn behind every task woken before it, and a fan-out to a busy
    /// room wakes a thousand at once. The operating system schedules a
    /// thread of its own as soon as it has something to do.
    pub fn spawn_on_own_thread(
        &self,
        name: &str,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let task = self.tasks.track_future(task);
        let thread = name.to_owned();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Built here: a runtime may not be dropped on an async task,
                // as it would be if the thread could not start.
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(task),
                    Err(e) => tracing::error!(error = %e, thread, "cannot start a runtime"),
                }
            })?;
        Ok(())
    }

    /// Cancelled once the node stops.
    pub fn stopping(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Tasks still running.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// Tells every task to stop and waits up to `limit` for them to finish
    /// their work in hand; `false` if some did not.
    pub async fn stop(&self, limit: Duration) -> bool {
        self.stop.cancel();
        self.tasks.close();
        tokio::time::timeout(limit, self.tasks.wait()).await.is_ok()
    }
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background")
            .field("running", &self.running())
            .field("stopping", &self.stop.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_reaches_every_task_and_waits_for_it() {
        let background = Background::default();
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..3 {
            let (stopping, done) = (background.stopping(), done_tx.clone());
            background.spawn(async move {
                stopping.cancelled().await;
                // Work in hand, finished after the signal.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = done.send(i);
            });
        }
        assert_eq!(background.running(), 3);
        assert!(background.stop(Duration::from_secs(5)).await);
        assert_eq!(background.running(), 0);
        let mut finished: Vec<i32> = std::iter::from_fn(|| done_rx.try_recv().ok()).collect();
        finished.sort();
        assert_eq!(finished, [0, 1, 2]);
    }

    #[tokio::test]
    async fn a_task_that_ignores_the_signal_is_reported() {
        let background = Background::default();
        background.spawn(std::future::pending());
        assert!(!background.stop(Duration::from_millis(50)).await);
        assert_eq!(background.running(), 1);
    }
}

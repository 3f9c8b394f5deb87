//! Watching the plugin files: a thread that waits for file events, lets a
//! burst of them settle, and asks the manager to reconcile.
//!
//! Events are only a hint to look again: the manager rescans the directory
//! and compares content hashes, so a missed, doubled or out-of-order event
//! costs nothing, and a rename from an editor's temporary file is just a
//! new file to it. That is why the debouncing here is a plain quiet-period
//! wait rather than notify's event-merging debouncers. The thread owns the
//! manager, so loading, compiling and instantiating all happen on it, off
//! the pipelines' workers.
//!
//! A watch follows a directory's inode, so a plugin directory that is
//! deleted and created again would silently stop being watched. After
//! every look the thread checks that each directory it should watch is
//! the one it watches, and watches it again if not; while a directory is
//! missing it looks again every second.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};

use super::manager::PluginManager;
use super::wanted::{is_relevant, watched_directories};

/// Quiet time after the last event before reloading: long enough to take
/// an editor's write-then-rename as one change, short next to the 1 s a
/// user waits for.
const DEBOUNCE: Duration = Duration::from_millis(50);
/// A file written without pause for this long is looked at anyway.
const MAX_DEBOUNCE: Duration = Duration::from_millis(500);

enum Message {
    Fs(notify::Result<notify::Event>),
    Stop,
}

/// The running watcher; stops when dropped.
pub struct Watching {
    tx: mpsc::Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.tx.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl PluginManager {
    /// Starts watching the plugin directory and the configured plugin
    /// files; the manager moves to the watching thread. A plugin directory
    /// that does not exist is created, so that dropping the first plugin
    /// in works without a restart.
    pub fn watch(mut self) -> anyhow::Result<Watching> {
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = events.send(Message::Fs(event));
        })?;
        if let Some(dir) = &self.config().plugin_directory
            && !dir.exists()
        {
            match std::fs::create_dir_all(dir) {
                Ok(()) => {
                    tracing::info!(directory = %dir.display(), "created the plugin directory")
                }
                Err(error) => tracing::warn!(directory = %dir.display(), %error,
                    "cannot create the plugin directory; plugins dropped there later are not seen"),
            }
        }
        let mut armed = Armed::default();
        let all_watched = armed.update(&mut watcher, &self);
        // A directory missing now is looked for again in a while.
        let first_look = (!all_watched).then(|| Instant::now() + MISSING_DIRECTORY_POLL);
        let thread = std::thread::Builder::new()
            .name("weir-plugin-reload".into())
            .spawn(move || run(&mut self, &mut watcher, &mut armed, &rx, first_look))?;
        Ok(Watching {
            tx,
            thread: Some(thread),
        })
    }
}

/// The directories being watched, by the identity of what was watched.
#[derive(Default)]
struct Armed {
    watching: HashMap<PathBuf, (u64, u64)>,
}

impl Armed {
    /// Watches every directory that should be and is not, or is a new
    /// directory at the same path; false if one is missing (or cannot be
    /// watched), so that the caller looks again in a while.
    fn update(&mut self, watcher: &mut impl Watcher, manager: &PluginManager) -> bool {
        let mut all = true;
        for dir in watched_directories(manager.config()) {
            let Ok(meta) = std::fs::metadata(&dir) else {
                all = false;
                continue;
            };
            let identity = (meta.dev(), meta.ino());
            let known = self.watching.get(&dir).copied();
            if known == Some(identity) {
                continue;
            }
            if known.is_some() {
                let _ = watcher.unwatch(&dir);
            }
            match watcher.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    if known.is_some() {
                        tracing::info!(directory = %dir.display(),
                            "plugin directory was replaced; watching the new one");
                    } else {
                        tracing::info!(directory = %dir.display(), "watching for plugin changes");
                    }
                    self.watching.insert(dir, identity);
                }
                Err(error) => {
                    all = false;
                    tracing::warn!(directory = %dir.display(), %error,
                        "cannot watch for plugin changes; trying again in a second");
                }
            }
        }
        all
    }
}

/// How often a missing or unwatchable directory is looked for.
const MISSING_DIRECTORY_POLL: Duration = Duration::from_secs(1);

fn run(
    manager: &mut PluginManager,
    watcher: &mut impl Watcher,
    armed: &mut Armed,
    rx: &mpsc::Receiver<Message>,
    first_look: Option<Instant>,
) {
    let mut recheck = first_look;
    loop {
        let timeout = recheck.map_or(Duration::from_secs(3600), |at| {
            at.saturating_duration_since(Instant::now())
        });
        match rx.recv_timeout(timeout) {
            Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Ok(Message::Fs(Ok(event))) => {
                if !matters(manager, &event) {
                    continue;
                }
                if !settle(rx) {
                    return;
                }
                recheck = manager.reconcile();
            }
            Ok(Message::Fs(Err(error))) => {
                tracing::warn!(%error, "plugin file watcher error; rescanning");
                recheck = manager.reconcile();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if recheck.is_some() {
                    recheck = manager.reconcile();
                }
            }
        }
        if !armed.update(watcher, manager) {
            let at = Instant::now() + MISSING_DIRECTORY_POLL;
            recheck = Some(recheck.map_or(at, |r| r.min(at)));
        }
    }
}

/// Whether `event` may change a plugin: any change to a relevant path,
/// but not reads (weir's own reads of the files included).
fn matters(manager: &PluginManager, event: &notify::Event) -> bool {
    let is_read = matches!(event.kind, EventKind::Access(kind)
        if kind != AccessKind::Close(AccessMode::Write));
    !is_read
        && event
            .paths
            .iter()
            .any(|p: &PathBuf| is_relevant(manager.config(), p))
}

/// Waits until no event has come for [`DEBOUNCE`] (at most
/// [`MAX_DEBOUNCE`]); false if told to stop meanwhile.
fn settle(rx: &mpsc::Receiver<Message>) -> bool {
    let deadline = Instant::now() + MAX_DEBOUNCE;
    loop {
        let wait = DEBOUNCE.min(deadline.saturating_duration_since(Instant::now()));
        if wait.is_zero() {
            return true;
        }
        match rx.recv_timeout(wait) {
            Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            Ok(Message::Fs(_)) => continue,
            Err(mpsc::RecvTimeoutError::Timeout) => return true,
        }
    }
}

//! Handing memory back to the operating system, and not taking more than
//! the daemon uses.
//!
//! The `weir` binary allocates with mimalloc (see `main.rs`), which keeps
//! freed pages for reuse instead of returning them. That is right for the
//! steady churn of batches, but compiling a large plugin briefly takes
//! hundreds of megabytes on the compiler's threads, and without a collect
//! the daemon's resident memory stays at that peak. When the global
//! allocator is another one (the library's own unit tests), this only
//! tidies mimalloc's unused heaps.
//!
//! Two more things kept an idle daemon three times larger than what it
//! uses (measured at 10,000 records/s through a plugin: 75 MiB resident,
//! of which 7 MiB were live heap): mimalloc asks for transparent huge
//! pages, so a few kilobytes touched in an arena made 2 MiB resident; and
//! starting up (configuration, TLS, plugin loading) touches megabytes of
//! code that the running daemon never executes again.

/// Asks the allocator to return the free memory it holds.
pub(crate) fn return_free_memory() {
    // SAFETY: `mi_collect` takes no pointers; it walks mimalloc's own
    // structures under its own synchronisation and may be called from any
    // thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Hands the free pages of the calling thread's heap back, at most once
/// a second per thread. mimalloc keeps a thread's emptied pages for that
/// thread's next allocations, and `mi_collect` only tidies the heap of
/// the thread that calls it, so each thread that allocates in the steady
/// state (the async runtime's workers when they park, the pipeline
/// workers between batches, the exporter threads between exports) calls
/// this. Measured at 10,000 records/s through a plugin: the allocator's
/// resident memory grew by ~1 MiB per connection served and stayed there
/// after the connections closed.
pub(crate) fn tidy_this_thread() {
    use std::cell::Cell;
    use std::time::{Duration, Instant};
    thread_local! {
        static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
    }
    let now = Instant::now();
    let due = LAST.with(|last| {
        let due = last
            .get()
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if due {
            last.set(Some(now));
        }
        due
    });
    if due {
        return_free_memory();
    }
}

/// Keeps the process on 4 KiB pages: its heap is small and churns, so
/// huge pages cost memory (each 2 MiB resident for a few KiB used) for a
/// TLB saving that did not show in the end-to-end benchmark. Call first
/// thing in `main`: pages faulted in before stay huge.
pub fn use_small_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integers only and sets
    // a flag on this process's address space.
    let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if rc != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not turn off transparent huge pages");
    }
}

/// Drops the resident pages of the code and read-only data of weir and
/// the shared libraries it links (libc, OpenSSL, ...): the pages the
/// running daemon executes come back on their next use (from the page
/// cache, without a read from disk), and those it no longer runs stop
/// counting against its resident memory. Called once start-up is over
/// (the configuration parser, OpenSSL's tables, the plugin compiler) and
/// then every [`CODE_PAGES_EVERY`]: code that ran once after start (a
/// plugin instantiated on each worker's first batch, a connection's TLS
/// handshake, a reload) would otherwise stay resident for the daemon's
/// life, 64 KiB for each page it touched (the kernel maps code around a
/// faulting page). What the daemon runs between two drops faults back in
/// at a few microseconds a page. Best effort: a failure is logged at
/// debug level and changes nothing.
pub(crate) fn drop_code_pages() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let exe = exe.to_string_lossy();
    let ours = |file: &str| file == exe || is_shared_library(file);
    for (start, end) in unmodified_read_only_mappings_of(&smaps, ours) {
        // SAFETY: the range is a whole private mapping of the executable
        // or a shared library that the process cannot write and never modified (no anonymous,
        // copied-on-write pages: relocated data such as RELRO has some and
        // is left alone). For such a mapping MADV_DONTNEED only unmaps the
        // pages: the next access maps the file's same bytes again. No Rust
        // reference can be invalidated by it.
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "could not drop code pages");
            return;
        }
    }
}

/// How often [`drop_code_pages`] runs in a running daemon. Measured at
/// 10,000 records/s: the hot code takes under 1 MiB, and faulting it back
/// in costs well under a millisecond of CPU per drop.
pub(crate) const CODE_PAGES_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether `path` names a shared library (`libc.so.6`, `libssl.so.3`,
/// `ld-linux-x86-64.so.2`): what the dynamic loader maps, read-only, from
/// files nobody rewrites in place.
fn is_shared_library(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with('/')
        && name
            .split_once(".so")
            .is_some_and(|(_, version)| version.is_empty() || version.starts_with('.'))
}

/// The address ranges of the `/proc/self/smaps` mappings of the files
/// `ours` picks that are private, not writable and hold no anonymous
/// (modified) page.
fn unmodified_read_only_mappings_of(
    smaps: &str,
    ours: impl Fn(&str) -> bool,
) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    // The mapping being read: its range, if it is one of `path`'s
    // read-only private ones.
    let mut candidate: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        if let Some(header) = mapping_header(line) {
            let (range, perms, file) = header;
            candidate = (ours(file) && !perms.contains('w') && perms.ends_with('p'))
                .then(|| parse_range(range))
                .flatten();
        } else if let Some(kib) = line.strip_prefix("Anonymous:")
            && let Some(range) = candidate.take()
            && kib.trim().trim_end_matches("kB").trim() == "0"
        {
            found.push(range);
        }
    }
    found
}

/// A mapping's first smaps line: address range, permissions, offset,
/// device, inode, then the path (which may hold spaces). `None` for the
/// `Key: value` lines that follow it.
fn mapping_header(line: &str) -> Option<(&str, &str, &str)> {
    let mut rest = line;
    let mut fields = [""; 5];
    for field in &mut fields {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        *field = &rest[..end];
        rest = &rest[end..];
    }
    let [range, perms, ..] = fields;
    (range.contains('-') && !range.ends_with(':') && perms.len() == 4).then_some((
        range,
        perms,
        rest.trim(),
    ))
}

fn parse_range(range: &str) -> Option<(usize, usize)> {
    let (start, end) = range.split_once('-')?;
    Some((
        usize::from_str_radix(start, 16).ok()?,
        usize::from_str_radix(end, 16).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_libraries_are_told_by_their_names() {
        for library in [
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libssl.so.3",
            "/lib64/ld-linux-x86-64.so.2",
            "/usr/lib/libfoo.so",
        ] {
            assert!(is_shared_library(library), "{library}");
        }
        for other in [
            "/opt/weir/bin/weir",
            "/var/cache/weir/compiled/3f2a.so-cache",
            "[vdso]",
            "libc.so.6",
            "/data/also.something",
        ] {
            assert!(!is_shared_library(other), "{other}");
        }
    }

    #[test]
    fn only_the_executables_unmodified_read_only_private_mappings_are_picked() {
        let smaps = "\
55e649131000-55e649d08000 r--p 00000000 fd:00 123 /opt/weir/bin/weir
Rss:                4412 kB
Anonymous:             0 kB
55e649d08000-55e64c26a000 r-xp 00bd6000 fd:00 123 /opt/weir/bin/weir
Rss:               17688 kB
Anonymous:             0 kB
55e64c26a000-55e64c3da000 r--p 03137000 fd:00 123 /opt/weir/bin/weir
Rss:                1472 kB
Anonymous:          1472 kB
55e64c3da000-55e64c3e0000 rw-p 032a7000 fd:00 123 /opt/weir/bin/weir
Anonymous:            24 kB
55e64c3e0000-55e64c3e1000 r--p 00000000 fd:00 124 /opt/weir/bin/weir-old
Anonymous:             0 kB
7f4a4e044000-7f4a4e19a000 r-xp 00028000 fd:00 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7f4a4e200000-7f4a4e201000 r--s 00000000 fd:00 123 /opt/weir/bin/weir
Anonymous:             0 kB
20000000000-20040000000 rw-p 00000000 00:00 0 
Anonymous:         71216 kB
";
        assert_eq!(
            unmodified_read_only_mappings_of(smaps, |f| f == "/opt/weir/bin/weir"),
            vec![
                (0x55e649131000, 0x55e649d08000),
                (0x55e649d08000, 0x55e64c26a000)
            ]
        );
        assert_eq!(
            unmodified_read_only_mappings_of(smaps, is_shared_library),
            vec![(0x7f4a4e044000, 0x7f4a4e19a000)]
        );
    }
}

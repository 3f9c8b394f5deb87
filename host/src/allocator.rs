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

/// Keeps the process on 4 KiB pages: its heap is small and churns, so
/// huge pages cost memory (each 2 MiB resident for a few KiB used) for a
/// TLB saving that did not show in the end-to-end benchmark.
pub(crate) fn use_small_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integers only and sets
    // a flag on this process's address space.
    let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if rc != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not turn off transparent huge pages");
    }
}

/// Drops the resident pages of weir's own code and read-only data, once
/// start-up is over: the pages the running daemon executes come back on
/// their next use (from the page cache, without a read from disk), and
/// those only start-up needed stop counting against its resident memory.
/// Best effort: a failure is logged at debug level and changes nothing.
pub(crate) fn drop_start_up_code_pages() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for (start, end) in read_only_mappings_of(&maps, &exe.to_string_lossy()) {
        // SAFETY: the range is a whole mapping of the executable that the
        // process cannot write (checked in read_only_mappings_of). For a
        // private file mapping never written, MADV_DONTNEED only unmaps
        // the pages: their contents come back from the file on the next
        // access, unchanged. No Rust reference can be invalidated by it.
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "could not drop start-up pages");
            return;
        }
    }
}

/// The address ranges of `/proc/self/maps` lines that map `path` without
/// write permission.
fn read_only_mappings_of(maps: &str, path: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            // Address range, permissions, offset, device, inode; the rest
            // of the line is the path, which may hold spaces.
            let mut rest = line;
            let mut fields = [""; 5];
            for field in &mut fields {
                rest = rest.trim_start();
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                *field = &rest[..end];
                rest = &rest[end..];
            }
            let [range, perms, ..] = fields;
            if rest.trim() != path || perms.contains('w') || !perms.ends_with('p') {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            Some((
                usize::from_str_radix(start, 16).ok()?,
                usize::from_str_radix(end, 16).ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_read_only_private_mappings_are_picked() {
        let maps = "\
55e649131000-55e649d08000 r--p 00000000 fd:00 123 /opt/weir/bin/weir
55e649d08000-55e64c26a000 r-xp 00bd6000 fd:00 123 /opt/weir/bin/weir
55e64c26a000-55e64c3da000 rw-p 03137000 fd:00 123 /opt/weir/bin/weir
55e64c3da000-55e64c3db000 r--p 00000000 fd:00 124 /opt/weir/bin/weir-old
7f4a4e044000-7f4a4e19a000 r-xp 00028000 fd:00 99 /usr/lib/x86_64-linux-gnu/libc.so.6
7f4a4e200000-7f4a4e201000 r--s 00000000 fd:00 123 /opt/weir/bin/weir
20000000000-20040000000 rw-p 00000000 00:00 0 
";
        assert_eq!(
            read_only_mappings_of(maps, "/opt/weir/bin/weir"),
            vec![
                (0x55e649131000, 0x55e649d08000),
                (0x55e649d08000, 0x55e64c26a000)
            ]
        );
    }
}

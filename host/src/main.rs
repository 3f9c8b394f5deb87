//! The `weir` binary. Everything it does starts in [`weir::cli::main`].

/// mimalloc rather than glibc's allocator: decoding OTLP allocates a few
/// strings and vectors per record from several threads at once, and the
/// profile of `scripts/bench-e2e.sh` showed glibc's malloc/free (with its
/// arena locks) taking about 40% of weir's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    weir::use_small_pages();
    weir::cli::main()
}

//! The `weir` binary. Everything it does starts in [`weir::cli::main`].

fn main() -> std::process::ExitCode {
    weir::cli::main()
}

use std::process::ExitCode;

use univers_container::logs::capture;
use univers_container::supervisor::runner;

/// The helpers that run beside every service (its runner in the pane, the capture of its
/// output) are `uc` itself, dispatched before the argument parser and the async runtime so
/// each costs a few hundred KiB, not a full `uc`.
fn main() -> ExitCode {
    let mut args = std::env::args_os();
    args.next();
    let first = args.next();
    match first.as_ref().and_then(|a| a.to_str()) {
        Some(runner::SUBCOMMAND) => runner::serve::main(args),
        Some(capture::SUBCOMMAND) => capture_main(args),
        _ => univers_container::cli::main(),
    }
}

/// `uc log-capture FILE`: what tmux pipes a service's pane into. Its files are private; the
/// runner, whose child is the service, keeps the user's umask.
fn capture_main(mut args: impl Iterator<Item = std::ffi::OsString>) -> ExitCode {
    univers_container::paths::private_umask();
    let (Some(file), None) = (args.next(), args.next()) else {
        eprintln!("usage: uc {} FILE", capture::SUBCOMMAND);
        return ExitCode::from(2);
    };
    match capture::run(std::io::stdin().lock(), file.as_ref(), capture::ROTATE_AT) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uc {}: {e}", capture::SUBCOMMAND);
            ExitCode::from(1)
        }
    }
}

//! First run on a bare machine: `uc` needs tmux (and the demo needs python3). When one is
//! missing, say so, and on a terminal offer to install it with apt, so `cargo run --release`
//! works on a fresh Debian machine.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use anyhow::anyhow;

use super::Failure;

/// The oldest tmux with everything `uc` uses (`display-popup -T`, `new-window -b`).
const MIN_TMUX: (u32, u32) = (3, 3);

/// Make sure the programs `uc` needs are there, installing them with the user's consent.
pub fn ensure_tools(demo: bool) -> Result<(), Failure> {
    let mut missing = Vec::new();
    if !runs("tmux", &["-V"]) {
        missing.push("tmux");
    }
    // Only looked up, not run: starting an interpreter costs more than the whole TUI start.
    if demo && !on_path("python3") {
        missing.push("python3");
    }
    if !missing.is_empty() {
        install(&missing)?;
    }
    check_tmux_version()
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

fn install(missing: &[&str]) -> Result<(), Failure> {
    let list = missing.join(" ");
    let how = format!("apt-get install -y {list}");
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !interactive || !runs("apt-get", &["--version"]) {
        return Err(Failure::runtime(anyhow!(
            "uc needs {list}; install it with `{how}`"
        )));
    }
    eprint!("uc needs {list}, which is not installed. Install it now with `{how}`? [Y/n] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "n" | "N" | "no") {
        return Err(Failure::runtime(anyhow!(
            "uc needs {list}; install it with `{how}`"
        )));
    }
    let root = nix::unistd::geteuid().is_root();
    let mut update = apt(root, &["update", "-qq"]);
    let mut get = apt(root, &["install", "-y", "-qq"]);
    get.args(missing);
    let ok = update.status().is_ok_and(|s| s.success()) && get.status().is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err(Failure::runtime(anyhow!(
            "`{how}` failed; install {list} and run uc again"
        )))
    }
}

fn apt(root: bool, args: &[&str]) -> Command {
    let mut cmd = if root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

fn check_tmux_version() -> Result<(), Failure> {
    let out = Command::new("tmux")
        .arg("-V")
        .output()
        .map_err(|e| Failure::runtime(anyhow!("cannot run tmux: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match parse_version(&text) {
        Some(v) if v < MIN_TMUX => Err(Failure::runtime(anyhow!(
            "uc needs tmux {}.{} or newer; this is {}",
            MIN_TMUX.0,
            MIN_TMUX.1,
            text.trim()
        ))),
        _ => Ok(()),
    }
}

/// `tmux 3.3a` → (3, 3); `tmux next-3.4` → (3, 4).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let version = text.split_whitespace().nth(1)?;
    let version = version.trim_start_matches(|c: char| !c.is_ascii_digit());
    let (major, rest) = version.split_once('.')?;
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tmux_versions() {
        assert_eq!(parse_version("tmux 3.3a\n"), Some((3, 3)));
        assert_eq!(parse_version("tmux next-3.4"), Some((3, 4)));
        assert_eq!(parse_version("tmux 2.9"), Some((2, 9)));
        assert_eq!(parse_version("tmux master"), None);
    }
}

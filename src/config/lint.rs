//! Checks across services that need the written tree: two services on one port (an
//! error), and a command whose program is not installed (a warning: it may be installed
//! by the time the service starts).

use std::collections::HashMap;
use std::path::Path;

use super::tree::{Found, Node, Origin};
use super::validate::resolve_cwd;

/// `ports:` entries out of range, and ports declared by two services (`ports:` or a
/// literal `env.PORT`).
pub(crate) fn ports(root: Option<&Node>) -> Vec<Found> {
    let mut found = Vec::new();
    let mut owners: HashMap<u64, String> = HashMap::new();
    let services = root
        .and_then(|r| r.get("services"))
        .and_then(|s| s.value.entries());
    for service in services.unwrap_or_default() {
        let name = &service.key.name;
        for (port, at, path) in declared_ports(name, &service.value, &mut found) {
            match owners.get(&port) {
                Some(owner) if owner != name => {
                    let message = format!("port {port} is also declared by `{owner}`");
                    let hint = Some("give each service its own port".to_owned());
                    found.push(Found::error(at, &path, message, hint));
                }
                _ => {
                    owners.insert(port, name.clone());
                }
            }
        }
    }
    found
}

fn declared_ports(
    name: &str,
    service: &Node,
    found: &mut Vec<Found>,
) -> Vec<(u64, Origin, String)> {
    let mut ports = Vec::new();
    let listed = service.get("ports").map(|e| &e.value);
    if let Some(super::tree::Kind::Seq { items, .. }) = listed.map(|n| &n.kind) {
        for (i, item) in items.iter().enumerate() {
            let Some(port) = item.as_str().and_then(|p| p.parse::<u64>().ok()) else {
                continue;
            };
            let path = format!("services.{name}.ports[{i}]");
            if (1..=65535).contains(&port) {
                ports.push((port, item.at, path));
            } else {
                let hint = Some("use a port from 1 to 65535".to_owned());
                found.push(Found::error(
                    item.at,
                    &path,
                    format!("port {port} is out of range"),
                    hint,
                ));
            }
        }
    }
    let env_port = service.get("env").and_then(|e| e.value.get("PORT"));
    // Port 0 asks the kernel for any free port: it cannot clash.
    let literal = env_port.and_then(|e| Some((e.value.as_str()?.parse::<u16>().ok()?, e.value.at)));
    if let Some((port, at)) = literal.filter(|(p, _)| *p != 0) {
        ports.push((u64::from(port), at, format!("services.{name}.env.PORT")));
    }
    ports
}

/// A warning per service whose program is not on `PATH` (or, written as a path, does not
/// exist). Read from the tree, so it is found even when other problems stop validation.
pub(crate) fn programs(root: Option<&Node>, dir: &Path) -> Vec<Found> {
    let services = root
        .and_then(|r| r.get("services"))
        .and_then(|s| s.value.entries());
    let mut found = Vec::new();
    let mut searched: HashMap<(&str, Option<&str>), Option<String>> = HashMap::new();
    for service in services.unwrap_or_default() {
        let Some(command) = service.value.get("command") else {
            continue;
        };
        let Some(program) = command.value.as_str().and_then(program) else {
            continue;
        };
        let cwd = service
            .value
            .get("cwd")
            .and_then(|c| c.value.as_str())
            .map(Path::new);
        let cwd = resolve_cwd(dir, cwd);
        let path = service.value.get("env").and_then(|e| e.value.get("PATH"));
        let path = path.and_then(|p| p.value.as_str());
        // Services mostly start the same few programs: one PATH search each.
        let missing = if program.contains('/') {
            missing(program, &cwd, path)
        } else {
            searched
                .entry((program, path))
                .or_insert_with(|| missing(program, &cwd, path))
                .clone()
        };
        if let Some(missing) = missing {
            let key = format!("services.{}.command", service.key.name);
            let mut warning = Found::error(command.value.at, &key, missing, Some(HINT.to_owned()));
            warning.warning = true;
            found.push(warning);
        }
    }
    found
}

const HINT: &str = "install it, or write the program's full path";

/// Words a shell runs itself; there is nothing to look up.
const SHELL_WORDS: [&str; 48] = [
    ".", ":", "[", "[[", "!", "{", "(", "alias", "bg", "break", "builtin", "case", "cd", "command",
    "continue", "declare", "echo", "eval", "exit", "export", "false", "fg", "for", "function",
    "getopts", "hash", "if", "jobs", "kill", "let", "local", "printf", "pwd", "read", "readonly",
    "return", "set", "shift", "source", "test", "trap", "true", "type", "ulimit", "umask", "unset",
    "until", "while",
];

/// The program a shell command runs first, when it can be told without running a shell.
fn program(command: &str) -> Option<&str> {
    let mut words = command.split_whitespace();
    let word = loop {
        let word = words.next()?;
        if is_assignment(word) {
            // `X=$(...)` may hide spaces; the words after it cannot be trusted.
            if word.contains(['$', '`', '\'', '"', '(']) {
                return None;
            }
            continue;
        }
        if word != "exec" {
            break word;
        }
    };
    let special = word.contains([
        '$', '`', '\'', '"', '<', '>', '|', ';', '&', '(', ')', '{', '}', '*', '?', '~',
    ]);
    (!special && !SHELL_WORDS.contains(&word)).then_some(word)
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Why `program` cannot run in `cwd` with `PATH` (the service's, else uc's), if it cannot.
fn missing(program: &str, cwd: &Path, path: Option<&str>) -> Option<String> {
    if program.contains('/') {
        let exists = cwd.join(program).exists();
        return (!exists).then(|| format!("`{program}` does not exist in {}", cwd.display()));
    }
    let path = path.map_or_else(|| std::env::var_os("PATH").unwrap_or_default(), Into::into);
    let found = std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)));
    (!found).then(|| format!("`{program}` is not on PATH"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_program() {
        assert_eq!(program("exec python3 -u x.py"), Some("python3"));
        assert_eq!(program("RUST_LOG=debug FOO=1 cargo run"), Some("cargo"));
        assert_eq!(program("./bin/api --port 1"), Some("./bin/api"));
        assert_eq!(program("PORT=$(python3 -c 'x y')\necho"), None);
        assert_eq!(program("i=0\nwhile true; do"), None);
        assert_eq!(program("$HOME/bin/x"), None);
        assert_eq!(program("echo hi"), None);
    }
}

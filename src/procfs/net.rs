//! Who listens on a TCP port: `/proc/net/tcp` and `/proc/net/tcp6` list the listening
//! sockets with their inodes, and `/proc/<pid>/fd` links name the socket inodes each process
//! holds. Read on demand (the doctor asks about a few ports), never on a timer: finding the
//! holder walks every process's descriptors.

use std::collections::HashMap;
use std::fs;

/// `st` of a listening socket in `/proc/net/tcp*`.
const LISTEN: &str = "0A";
/// The longest command line shown for a holder.
const COMMAND_MAX: usize = 200;

/// A process listening on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortHolder {
    pub port: u16,
    /// `None` when the socket belongs to a process we may not read (another user's).
    pub pid: Option<u32>,
    /// Its command line, arguments joined by spaces; empty when unknown.
    pub command: String,
}

/// `(port, socket inode)` of every listening socket in the text of `/proc/net/tcp` or
/// `/proc/net/tcp6`.
pub fn parse_listeners(text: &str) -> Vec<(u16, u64)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(3) != Some(&LISTEN) {
                return None;
            }
            let port = f.get(1)?.rsplit_once(':')?.1;
            let port = u16::from_str_radix(port, 16).ok()?;
            let inode = f.get(9)?.parse().ok()?;
            Some((port, inode))
        })
        .collect()
}

/// The processes listening on any of `ports` (IPv4 and IPv6), each socket once.
pub fn port_holders(ports: &[u16]) -> Vec<PortHolder> {
    let mut inodes: HashMap<u64, u16> = HashMap::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = fs::read_to_string(table).unwrap_or_default();
        for (port, inode) in parse_listeners(&text) {
            if ports.contains(&port) && inode != 0 {
                inodes.insert(inode, port);
            }
        }
    }
    if inodes.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<PortHolder> = Vec::new();
    for (pid, inode) in socket_owners(&inodes) {
        let port = inodes[&inode];
        // A socket shared by a parent and its children (a forking server) names the first.
        if found.iter().any(|h| h.port == port && h.pid.is_some()) {
            continue;
        }
        found.push(PortHolder {
            port,
            pid: Some(pid),
            command: command_line(pid),
        });
    }
    for port in inodes.values() {
        if !found.iter().any(|h| h.port == *port) {
            found.push(PortHolder {
                port: *port,
                pid: None,
                command: String::new(),
            });
        }
    }
    found.sort_by_key(|h| (h.port, h.pid));
    found
}

/// `(pid, inode)` for every process holding one of the sockets, lowest PID first.
fn socket_owners(inodes: &HashMap<u64, u16>) -> Vec<(u32, u64)> {
    let mut pids: Vec<u32> = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    let mut owners = Vec::new();
    for pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Some(inode) = fs::read_link(fd.path())
                .ok()
                .and_then(|l| socket_inode(&l.to_string_lossy()))
            else {
                continue;
            };
            if inodes.contains_key(&inode) {
                owners.push((pid, inode));
            }
        }
    }
    owners
}

/// The inode of an fd link `socket:[12345]`.
fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// `/proc/<pid>/cmdline` as one line, else the process name.
pub fn command_line(pid: u32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut line = String::from_utf8_lossy(&raw)
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        line = fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_default()
            .trim()
            .to_owned();
    }
    if line.len() > COMMAND_MAX {
        let mut cut = COMMAND_MAX;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0
";

    #[test]
    fn only_listening_sockets_are_read_with_their_port_and_inode() {
        assert_eq!(parse_listeners(TCP), [(8080, 4242)]);
        assert_eq!(parse_listeners(TCP6), [(80, 99)]);
        assert!(parse_listeners("garbage\nnot a table").is_empty());
    }

    #[test]
    fn socket_links_name_their_inode() {
        assert_eq!(socket_inode("socket:[4242]"), Some(4242));
        assert_eq!(socket_inode("pipe:[4242]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn a_listener_of_this_process_is_found_with_its_pid_and_command() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let holders = port_holders(&[port]);
        assert_eq!(holders.len(), 1, "{holders:?}");
        assert_eq!(holders[0].port, port);
        assert_eq!(holders[0].pid, Some(std::process::id()));
        assert!(!holders[0].command.is_empty());
        drop(listener);
        assert!(port_holders(&[port]).is_empty());
    }
}

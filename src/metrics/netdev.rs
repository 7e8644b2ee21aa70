//! Network interface counters from `/proc/net/dev`: one file for every interface, kept open
//! and re-read with one `pread` per sample. (sysinfo's network refresh opens several files per
//! interface under `/sys/class/net` and asks netlink for addresses every time; on a quiet
//! machine that was most of the sampler's cost.)

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

use super::NetSample;

#[derive(Default)]
pub struct NetDev {
    file: Option<File>,
    /// Totals at the previous read, for rates.
    last: BTreeMap<String, (u64, u64)>,
}

impl NetDev {
    /// Every interface's totals and its rates over `elapsed` seconds since the last call
    /// (0 on the first call for an interface).
    pub fn read(&mut self, elapsed: f64) -> Vec<NetSample> {
        if self.file.is_none() {
            self.file = File::open("/proc/net/dev").ok();
        }
        let mut buf = vec![0u8; 16 * 1024];
        let n = self
            .file
            .as_ref()
            .and_then(|f| f.read_at(&mut buf, 0).ok())
            .unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        let mut totals = BTreeMap::new();
        let mut out = Vec::new();
        for (iface, rx, tx) in parse(&text) {
            let (rx_before, tx_before) = self.last.get(iface).copied().unwrap_or((rx, tx));
            out.push(NetSample {
                iface: iface.to_string(),
                rx_bps: rx.saturating_sub(rx_before) as f64 / elapsed,
                tx_bps: tx.saturating_sub(tx_before) as f64 / elapsed,
                rx_total: rx,
                tx_total: tx,
            });
            totals.insert(iface.to_string(), (rx, tx));
        }
        self.last = totals;
        out
    }
}

/// `(interface, received bytes, transmitted bytes)` per line after the two header lines.
fn parse(text: &str) -> impl Iterator<Item = (&str, u64, u64)> {
    text.lines().skip(2).filter_map(|line| {
        let (iface, counters) = line.split_once(':')?;
        let fields: Vec<u64> = counters
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        Some((iface.trim(), *fields.first()?, *fields.get(8)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_receive_and_transmit_bytes() {
        let text = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n    lo: 100 2 0 0 0 0 0 0 200 3 0 0 0 0 0 0\n  eth0: 7 1 0 0 0 0 0 0 8 1 0 0 0 0 0 0\n";
        let rows: Vec<_> = parse(text).collect();
        assert_eq!(rows, [("lo", 100, 200), ("eth0", 7, 8)]);
    }

    #[test]
    fn rates_come_from_the_previous_read() {
        let mut dev = NetDev::default();
        let first = dev.read(1.0);
        assert!(first.iter().any(|n| n.iface == "lo"));
        assert!(
            first.iter().all(|n| n.rx_bps == 0.0),
            "no rate without a previous read"
        );
        let second = dev.read(1.0);
        assert_eq!(first.len(), second.len());
    }
}

//! The sampler against real processes.

use std::process::{Child, Command};
use std::time::Duration;

use univers_container::metrics::Sampler;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        // The whole group: the test's shells put their children there.
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = self.0.wait();
    }
}

fn spawn(script: &str) -> Kill {
    use std::os::unix::process::CommandExt;
    Kill(
        Command::new("sh")
            .args(["-c", script])
            .process_group(0)
            .spawn()
            .expect("spawn sh"),
    )
}

#[test]
fn burner_uses_more_cpu_than_an_idle_service_and_trees_are_summed() {
    let burner = spawn("while :; do :; done");
    let idle = spawn("exec sleep 30");
    let tree = spawn("sh -c 'while :; do :; done' & sleep 30 & wait");
    let services = vec![
        ("burner".to_string(), burner.0.id()),
        ("idle".to_string(), idle.0.id()),
        ("tree".to_string(), tree.0.id()),
    ];
    let mut sampler = Sampler::new().expect("sampler");
    // Process CPU needs two readings; the first sample only sets the baseline.
    std::thread::sleep(Duration::from_millis(300));
    sampler.sample(&services, 0);
    std::thread::sleep(Duration::from_secs(1));
    let sample = sampler.sample(&services, 1);

    let burner = sample.service("burner").expect("burner sampled");
    let idle = sample.service("idle").expect("idle sampled");
    let tree = sample.service("tree").expect("tree sampled");
    // Other tests may burn the same cores: "clearly higher", not a fixed share.
    assert!(
        burner.cpu_pct > 20.0 && burner.cpu_pct > 10.0 * idle.cpu_pct.max(0.5),
        "burner: {burner:?}, idle: {idle:?}"
    );
    assert!(idle.cpu_pct < 5.0, "idle: {idle:?}");
    assert!(burner.rss > 0 && idle.rss > 0);
    assert_eq!(burner.procs, 1);
    assert!(burner.threads >= 1);
    assert!(idle.fds.is_some_and(|n| n >= 3), "stdio at least: {idle:?}");
    assert_eq!(
        tree.procs, 3,
        "sh, the burning grandchild's shell and sleep: {tree:?}"
    );
    assert!(
        tree.cpu_pct > 20.0,
        "the grandchild's CPU is summed: {tree:?}"
    );
    assert!(tree.rss > burner.rss, "three processes hold more than one");

    let host = &sample.host;
    assert!(host.cpu_pct > 0.0 && host.cpu_pct <= 100.0, "{host:?}");
    assert_eq!(
        host.cores.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    assert!(host.mem_total > host.mem_used && host.mem_used > 0);
    assert!(
        host.disks.iter().any(|d| d.mount == "/" && d.total > 0),
        "{:?}",
        host.disks
    );
    assert!(host.nets.iter().any(|n| n.iface == "lo"), "{:?}", host.nets);
}

#[test]
fn services_that_are_gone_are_left_out() {
    let short = spawn("exit 0");
    let pid = short.0.id();
    drop(short);
    let mut sampler = Sampler::new().expect("sampler");
    let sample = sampler.sample(&[("gone".to_string(), pid)], 0);
    assert!(sample.service("gone").is_none());
}

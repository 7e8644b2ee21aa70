//! Measures loading an environment: read, merge an overlay, interpolate, check and render
//! a workspace of 200 services with 3 environment overlays. Run with
//! `cargo bench --bench config_load`. Target: p99 ≤ 20 ms.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use univers_container::config::load_env;
use univers_container::config::schema::WorkspaceFile;

const SERVICES: usize = 200;
const RUNS: usize = 60;
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const WARM_UP: Duration = Duration::from_secs(2);

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    write_workspace(dir.path())?;
    let file = dir.path().join("univers.yaml");
    // A warm-up as criterion does it: the first loads pay for cold caches and a growing heap.
    let warm = Instant::now();
    while warm.elapsed() < WARM_UP {
        std::hint::black_box(load_env(&file, Some(ENVIRONMENTS[0]))?);
    }
    baseline(&file)?;
    for env in ENVIRONMENTS {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let start = Instant::now();
            let loaded = load_env(&file, Some(env))?;
            std::hint::black_box(&loaded.effective);
            times.push(start.elapsed());
        }
        report(env, &mut times);
    }
    Ok(())
}

/// Reading the base file with serde alone (what loading was before environments): the
/// floor under which the full pipeline cannot go.
fn baseline(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let spec: WorkspaceFile = serde_saphyr::from_str(&text)?;
        std::hint::black_box(&spec);
        times.push(start.elapsed());
    }
    println!("base file: {} bytes", text.len());
    report("serde-only baseline", &mut times);
    Ok(())
}

fn write_workspace(dir: &Path) -> anyhow::Result<()> {
    let mut base = String::from("workspace: bench\nenvironments: [dev, staging, prod]\n");
    base.push_str("vars:\n  LOG_LEVEL: debug\n  HOST: 127.0.0.1\nservices:\n");
    for i in 0..SERVICES {
        let depends = if i > 0 {
            format!("\n    depends_on: {{ svc{}: healthy }}", i - 1)
        } else {
            String::new()
        };
        write!(
            base,
            "  svc{i}:\n    command: exec sh -c 'echo ${{LOG_LEVEL}} {i}; sleep 1000'\n    cwd: ./svc{i}\n    \
             env:\n      PORT: {port}\n      URL: \"http://${{HOST}}:{port}/\"\n      RATE: ${{RATE:-10}}{depends}\n    \
             readiness:\n      http: http://127.0.0.1:{port}/health\n      interval: 5s\n      timeout: 2s\n    \
             restart: {{ policy: on-failure, backoff: 1s..5m, max: 5 within 10m }}\n    tags: [group{}, bench]\n",
            i % 10,
            port = 10_000 + i,
        )?;
    }
    std::fs::write(dir.join("univers.yaml"), base)?;
    let overlays = dir.join("configs/environments");
    std::fs::create_dir_all(&overlays)?;
    for (n, env) in ENVIRONMENTS.iter().enumerate() {
        let mut overlay = format!("vars:\n  LOG_LEVEL: {env}\nservices:\n");
        for i in (n..SERVICES).step_by(3) {
            writeln!(
                overlay,
                "  svc{i}:\n    env:\n      RATE: {}\n    tags: [{env}]",
                n + 1
            )?;
        }
        std::fs::write(overlays.join(format!("{env}.yaml")), overlay)?;
    }
    Ok(())
}

fn report(env: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{env:20} ({SERVICES} services, {} runs): p50 {:.2} ms, p99 {:.2} ms",
        times.len(),
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
    );
}

//! Broken state files: garbage in each database and JSON file before the real engine starts
//! is moved aside, said in `uc status`, and every feature works from a fresh file.

mod common;

use std::os::unix::fs::DirBuilderExt;

use common::cli::Env;
use univers_container::paths::Paths;

const GARBAGE: &[u8] = b"this is not what uc wrote here\n";

#[test]
fn broken_state_files_are_moved_aside_and_their_features_start_afresh() {
    let env = Env::new("  idle:\n    command: echo hello from idle; exec sleep 600\n");
    let paths = Paths::new(&env.state, &env.workspace, env.private.socket.clone());
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(paths.dir.join("logs"))
        .expect("state dir");
    let files = [
        paths.history(),
        paths.alerts_db(),
        paths.outbox_db(),
        paths.heal_db(),
        paths.config_db(),
        paths.records(),
        paths.log_positions(),
    ];
    for file in &files {
        std::fs::write(file, GARBAGE.repeat(200)).expect("garbage");
    }

    env.ok(&["up"]);
    let status = env.ok(&["status"]);
    for file in &files {
        let said = format!("{} was unreadable", file.display());
        assert!(status.contains(&said), "{said}\n{status}");
    }
    let replaced = env.status()["storage"]["replaced"].clone();
    let replaced = replaced.as_array().expect("replaced files");
    assert_eq!(replaced.len(), files.len(), "{replaced:?}");
    for r in replaced {
        let aside = r["moved_to"].as_str().expect("moved_to");
        assert!(aside.contains(".corrupt-"), "{aside}");
        assert_eq!(
            std::fs::read(aside).expect("kept aside"),
            GARBAGE.repeat(200)
        );
    }

    // Each feature answers from its fresh file.
    env.ok(&["metrics", "--since", "2h"]);
    env.ok(&["alerts", "history"]);
    env.ok(&["heal", "history"]);
    let history = env.ok(&["config", "history"]);
    assert!(history.contains('1'), "the start is revision 1: {history}");
    assert!(common::eventually(
        std::time::Duration::from_secs(30),
        || env.ok(&["logs", "-c", "idle"]).trim() == "1"
    ));
    env.ok(&["down"]);
}

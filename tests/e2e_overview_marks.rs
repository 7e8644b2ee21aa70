//! Marks across workspaces, end to end: in the overview of two real workspaces, mark three
//! services (two in a, one in b), stop them with one confirmation, and exactly those stop —
//! each by its own engine, which audits the stop as coming from the TUI — while b's service
//! that depends on one of them across workspaces is warned about and keeps running.

mod common;

use common::eventually;
use common::projects::{T, Two, file_of, row_shows};
use serde_json::Value;

fn state_of(status: &Value, name: &str) -> String {
    let services = status["services"].as_array().expect("services");
    let service = services.iter().find(|s| s["name"] == name).expect(name);
    service["state"].as_str().expect("state").to_string()
}

fn needed_by(status: &Value, name: &str) -> Vec<String> {
    let services = status["services"].as_array().expect("services");
    let service = services.iter().find(|s| s["name"] == name).expect(name);
    (service["needed_by"].as_array().into_iter().flatten())
        .filter(|d| d["active"] == true)
        .filter_map(|d| d["service"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn three_marks_in_two_workspaces_stop_exactly_those_and_warn_about_dependents() {
    let two = Two::with(
        "  a1:\n    command: exec sleep 4201\n  a2:\n    command: exec sleep 4202\n  a3:\n    command: exec sleep 4203\n",
        |a| {
            format!(
                "  b1:\n    command: exec sleep 4204\n  b2:\n    command: exec sleep 4205\n    depends_on: [{a}/a3]\n"
            )
        },
    );
    let (a_ws, b_ws) = (two.a.workspace.clone(), two.b.workspace.clone());
    two.ok(&["project", "add", &file_of(&two.a)]);
    two.ok(&["project", "add", &file_of(&two.b)]);
    two.ok(&["-f", &file_of(&two.a), "up"]);
    two.ok(&["-f", &file_of(&two.b), "up"]);
    // a's engine learns of b2 by reading b's engine: wait until a3 says it is needed.
    let b2 = format!("{b_ws}/b2");
    assert!(
        eventually(T, || needed_by(&two.status(&two.a), "a3") == [b2.clone()]),
        "a3 is never needed by {b2}"
    );

    let screen = two.screen();
    screen.type_line(&format!("{}; echo UC-EXITED", env!("CARGO_BIN_EXE_uc")));
    screen.wait("both rows", T, |t| {
        row_shows(t, &a_ws, "3/3") && row_shows(t, &b_ws, "2/2")
    });
    // a's services under its row: a1, a2, a3; mark a1 and a3 (space moves down).
    screen.keys(&["Right"]);
    screen.wait("a's services", T, |t| row_shows(t, "a3", "needed by"));
    screen.keys(&["Down", "Space", "Down", "Space"]);
    // The selection is on b's row now: list its services and mark b1.
    screen.keys(&["Right"]);
    screen.wait("b's services", T, |t| row_shows(t, "b1", "running"));
    screen.keys(&["Down", "Space"]);
    screen.wait("three marks", T, |t| t.contains("3 marked in 2 workspaces"));

    screen.keys(&["x"]);
    // Its last line drawn (a frame is written top to bottom): the lines above are there.
    let asked = screen.wait("the confirmation", T, |t| {
        t.contains("Stop 3 services in 2 workspaces?") && t.contains("n/esc cancel")
    });
    assert!(
        asked.contains(&format!("{b2} depends on a3")),
        "b2 is not warned about: {asked}"
    );
    screen.keys(&["y"]);

    let stopped =
        |status: &Value, names: &[&str]| names.iter().all(|n| state_of(status, n) == "stopped");
    assert!(
        eventually(T, || stopped(&two.status(&two.a), &["a1", "a3"])
            && stopped(&two.status(&two.b), &["b1"])),
        "the marked services did not stop"
    );
    let (a, b) = (two.status(&two.a), two.status(&two.b));
    assert_eq!(state_of(&a, "a2"), "running", "{a:#}");
    assert_eq!(state_of(&b, "b2"), "running", "{b:#}");

    // Each engine audited its part, from the TUI.
    for (workspace, services) in [(&a_ws, ["a1", "a3"].as_slice()), (&b_ws, &["b1"])] {
        let audit = two.ok(&["audit", "--workspace", workspace, "--json"]);
        let of_workspace = format!("\"workspace\":\"{workspace}\"");
        let stop = audit
            .lines()
            .find(|l| {
                l.contains(&of_workspace) && l.contains("\"via\":\"tui\"") && l.contains("stop")
            })
            .unwrap_or_else(|| panic!("no stop via tui in {workspace}: {audit}"));
        for service in services {
            assert!(stop.contains(service), "{service} in {stop}");
        }
    }

    screen.keys(&["q"]);
    screen.wait("uc to exit", T, |t| {
        t.lines().any(|l| l.trim() == "UC-EXITED")
    });
}

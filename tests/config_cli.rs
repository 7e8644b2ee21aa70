//! `uc config check | render | schema` as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

fn uc(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uc"))
        .arg("-f")
        .arg(file)
        .args(args)
        .output()
        .expect("runs uc")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_prints_every_problem_with_its_snippet_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("univers.yaml");
    let yaml = "workspace: w\nenvironments: [dev, prod]\nservices:\n  a:\n    command: no-such-program-uc\n    stop: { timeout: soon }\n  b:\n    command: echo b\n    readines: {}\n";
    std::fs::write(&file, yaml).expect("write");
    let out = uc(&file, &["config", "check", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("univers.yaml:6:22: invalid duration `soon`"),
        "{err}"
    );
    assert!(err.contains("[at services.a.stop.timeout]"), "{err}");
    assert!(
        err.contains(" 6 |     stop: { timeout: soon }\n   |                      ^"),
        "{err}"
    );
    assert!(
        err.contains("univers.yaml:9:5: unknown field `readines`"),
        "{err}"
    );
    assert!(err.contains(" 9 |     readines: {}\n   |     ^"), "{err}");
    assert!(
        err.contains("warning: `no-such-program-uc` is not on PATH"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");

    let out = uc(&file, &["config", "check", "--env", "qa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown environment `qa`"));
}

#[test]
fn check_passes_with_warnings_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("univers.yaml");
    std::fs::write(
        &file,
        "workspace: w\nservices:\n  a:\n    command: no-such-program-uc\n",
    )
    .expect("write");
    let out = uc(&file, &["config", "check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is not on PATH"));
    assert!(text(&out.stdout).contains("ok — workspace `w`, 1 service"));
}

#[test]
fn render_prints_the_effective_config_with_secrets_redacted() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/env/univers.yaml");
    let out = uc(&fixture, &["config", "render", "--env", "staging"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    // Commands as written (their values are read from variables), `vars:` they may name,
    // and what came from env files or the environment by reference only.
    assert!(
        yaml.contains("    command: \"echo \\\"${GREETING} from api\\\"\"\n"),
        "{yaml}"
    );
    assert!(yaml.contains("  cron:\n    command: echo cron\n"), "{yaml}");
    assert!(yaml.contains("vars:\n  GREETING: hello\n"), "{yaml}");
    assert!(yaml.contains("      LEVEL: \"${LEVEL}\"\n"), "{yaml}");
    assert!(
        !yaml.contains("bonjour") && !yaml.contains("from-env-file"),
        "{yaml}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("univers.yaml");
    std::fs::write(
        &file,
        "workspace: w\nservices:\n  a:\n    command: echo ${secret:token}\n",
    )
    .expect("write");
    let secrets = dir.path().join("configs/secrets.yaml");
    std::fs::create_dir_all(secrets.parent().expect("dir")).expect("mkdir");
    std::fs::write(&secrets, "token: hunter2\n").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = uc(&file, &["config", "render"]);
    let yaml = text(&out.stdout);
    assert!(yaml.contains("command: \"echo ${secret:token}\""), "{yaml}");
    assert!(!yaml.contains("hunter2"));
}

#[test]
fn schema_is_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_uc"))
        .args(["config", "schema"])
        .output()
        .expect("runs uc");
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

//! Environments: overlays merged over the workspace file, variables, env files and
//! secrets interpolated, every problem reported at once with file, line, column and key
//! path; the effective config re-loads to the same result.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use univers_container::config::{
    ConfigError, Loaded, ProblemSeverity, demo_loaded, load_effective, load_env,
};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(path)
}

fn load(env: Option<&str>) -> Loaded {
    load_env(&fixture("env/univers.yaml"), env).expect("loads")
}

fn env_of<'a>(loaded: &'a Loaded, service: &str, key: &str) -> Option<&'a str> {
    let service = loaded.workspace.service(service)?;
    service.env.get(key).map(String::as_str)
}

/// (file name, line, column, message, key path) of every problem.
fn problems(err: &ConfigError) -> Vec<(String, u64, u64, String, String)> {
    err.problems()
        .iter()
        .map(|p| {
            let name = p.file.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            (name, p.line, p.column, p.message.clone(), p.path.clone())
        })
        .collect()
}

/// A workspace in a temp dir: `files` are (relative path, text).
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

fn load_in(dir: &tempfile::TempDir, env: Option<&str>) -> Result<Loaded, ConfigError> {
    load_env(&dir.path().join("univers.yaml"), env)
}

#[test]
fn the_first_environment_is_the_default_and_has_no_overlay_file() {
    let dev = load(None);
    let ws = &dev.workspace;
    assert_eq!(ws.environment.as_deref(), Some("dev"));
    let names: Vec<_> = ws.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    let confirm: Vec<_> = ws.environments.iter().map(|e| e.confirm).collect();
    assert_eq!(confirm, [false, false, true]);
    assert_eq!(ws.environments[2].theme.as_deref(), Some("red"));
    // A command reads its values from variables: they never become shell code.
    let api = ws.service("api").expect("api");
    assert_eq!(api.command, "echo \"${UC_VAR_GREETING} from api\"");
    assert_eq!(env_of(&dev, "api", "UC_VAR_GREETING"), Some("hello"));
    assert_eq!(env_of(&dev, "api", "LEVEL"), Some("debug"));
    assert_eq!(env_of(&dev, "api", "RATE"), Some("10"));
    // The process environment comes first, and is a secret: its value is never shown.
    let home = std::env::var("HOME").expect("HOME");
    assert_eq!(env_of(&dev, "api", "HOME_DIR"), Some(home.as_str()));
    assert_eq!(api.secret_env.iter().collect::<Vec<_>>(), ["HOME_DIR"]);
    assert!(
        dev.effective.contains("HOME_DIR: \"${HOME}\""),
        "{}",
        dev.effective
    );
    assert_eq!(dev.inputs, [fixture("env/univers.yaml")]);
    assert_eq!(load(Some("dev")).hash, dev.hash);
}

#[test]
fn overlays_merge_maps_replace_lists_delete_nulls_and_add_services() {
    let staging = load(Some("staging"));
    let api = staging.workspace.service("api").expect("api");
    assert_eq!(api.tags, ["staging"]);
    assert_eq!(api.env.get("RATE"), None);
    assert!(api.env.contains_key("HOME_DIR"));
    let names: Vec<_> = staging
        .workspace
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["api", "web", "worker", "cron"]);

    let prod = load(Some("prod"));
    let names: Vec<_> = prod
        .workspace
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["api", "worker"]);
    assert_eq!(env_of(&prod, "api", "LEVEL"), Some("warn"));
    assert_eq!(prod.workspace.theme.as_deref(), Some("high-contrast"));
    assert_eq!(prod.inputs[1], fixture("env/configs/prod-overlay.yaml"));
    assert_ne!(prod.hash, load(None).hash);
}

#[test]
fn env_files_win_over_vars_and_later_files_over_earlier() {
    let staging = load(Some("staging"));
    let api = staging.workspace.service("api").expect("api");
    assert_eq!(api.command, "echo \"${UC_VAR_GREETING} from api\"");
    assert_eq!(env_of(&staging, "api", "UC_VAR_GREETING"), Some("bonjour"));
    assert_eq!(env_of(&staging, "api", "LEVEL"), Some("from-env-file"));
    // What env files hold is secret: kept out of the effective config, off command lines.
    assert_eq!(
        api.secret_env.iter().collect::<Vec<_>>(),
        ["HOME_DIR", "LEVEL", "UC_VAR_GREETING"]
    );
    assert!(!staging.effective.contains("bonjour") && !staging.effective.contains("from-env"));
    let inputs: Vec<_> = staging
        .inputs
        .iter()
        .filter_map(|p| p.file_name())
        .collect();
    assert_eq!(
        inputs,
        ["univers.yaml", "staging.yaml", "staging.env", "local.env"]
    );
}

#[test]
fn unknown_environment_names_the_key_and_the_nearest() {
    let err = load_env(&fixture("env/univers.yaml"), Some("prdo")).expect_err("unknown");
    let problem = &err.problems()[0];
    assert_eq!((problem.line, problem.column), (2, 1));
    assert_eq!(problem.message, "unknown environment `prdo`");
    assert_eq!(problem.hint.as_deref(), Some("did you mean `prod`?"));
    assert_eq!(problem.path, "environments");
}

const BASE: &str =
    "workspace: w\nenvironments: [dev, prod]\nservices:\n  a:\n    command: echo a\n";

#[test]
fn interpolation_forms() {
    let text = "workspace: w\nvars: { A: one, E: '' }\nservices:\n  a:\n    command: \"echo ${A} ${B:-${C:-nested}} ${E:-empty} $${A} $$ $PATH\"\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let loaded = load_in(&dir, None).expect("loads");
    let a = loaded.workspace.service("a").expect("a");
    assert_eq!(
        a.command,
        "echo \"${UC_VAR_A}\" \"${UC_VAR_B}\" \"${UC_VAR_E}\" ${A} $ $PATH"
    );
    let vars = ["UC_VAR_A", "UC_VAR_B", "UC_VAR_E"].map(|k| env_of(&loaded, "a", k));
    assert_eq!(vars, [Some("one"), Some("nested"), Some("empty")]);
    assert!(
        loaded
            .effective
            .contains("echo ${A} ${B:-${C:-nested}} ${E:-empty} $${A} $$ $PATH"),
        "{}",
        loaded.effective
    );
    assert_eq!(loaded.workspace.environment, None);
    let again = load_effective(
        &loaded.effective,
        &dir.path().join("univers.yaml"),
        dir.path(),
        None,
    )
    .expect("reloads");
    assert_eq!(again.workspace, loaded.workspace);
    assert_eq!(again.hash, loaded.hash);
}

#[test]
fn unset_variables_are_errors_at_their_dollar() {
    let text = "workspace: w\nservices:\n  a:\n    command: echo ${NOT_SET_UC_TEST}\n    env:\n      X: 'a ${NEED_UC_TEST:?set NEED for the api}'\n  b:\n    command: |\n      echo b\n        and ${ALSO_NOT_SET_UC}\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("unset");
    let name = "univers.yaml".to_owned();
    assert_eq!(
        problems(&err),
        [
            (
                name.clone(),
                4,
                19,
                "variable `NOT_SET_UC_TEST` is not set".to_owned(),
                "services.a.command".to_owned()
            ),
            (
                name.clone(),
                6,
                13,
                "`NEED_UC_TEST`: set NEED for the api".to_owned(),
                "services.a.env.X".to_owned()
            ),
            (
                name,
                10,
                13,
                "variable `ALSO_NOT_SET_UC` is not set".to_owned(),
                "services.b.command".to_owned()
            ),
        ]
    );
}

fn secrets_workspace(mode: u32, secret: &str) -> tempfile::TempDir {
    let text = "workspace: w\nservices:\n  a:\n    command: echo a\n    env:\n      DB: \"postgres://u:${secret:db_password}@h/db\"\n";
    let dir = workspace(&[
        ("univers.yaml", text),
        ("configs/secrets.yaml", &format!("db_password: {secret}\n")),
    ]);
    let secrets = dir.path().join("configs/secrets.yaml");
    fs::set_permissions(&secrets, fs::Permissions::from_mode(mode)).expect("chmod");
    dir
}

#[test]
fn secrets_are_read_from_a_private_file_and_never_shown() {
    let dir = secrets_workspace(0o600, "s3cr3t");
    let loaded = load_in(&dir, None).expect("loads");
    assert_eq!(env_of(&loaded, "a", "DB"), Some("postgres://u:s3cr3t@h/db"));
    assert!(!loaded.effective.contains("s3cr3t"));
    assert!(
        loaded
            .effective
            .contains("postgres://u:${secret:db_password}@h/db")
    );
    assert!(!loaded.hash.contains("s3cr3t"));
    assert_eq!(loaded.inputs[1], dir.path().join("configs/secrets.yaml"));

    let again = load_effective(
        &loaded.effective,
        &dir.path().join("univers.yaml"),
        dir.path(),
        None,
    )
    .expect("reloads");
    assert_eq!(env_of(&again, "a", "DB"), Some("postgres://u:s3cr3t@h/db"));
    assert_eq!(again.hash, loaded.hash);

    let changed = secrets_workspace(0o600, "other");
    assert_ne!(load_in(&changed, None).expect("loads").hash, loaded.hash);
}

#[test]
fn a_secrets_file_others_can_read_is_refused() {
    let dir = secrets_workspace(0o644, "s3cr3t");
    let err = load_in(&dir, None).expect_err("refused");
    let problem = &err.problems()[0];
    assert_eq!((problem.line, problem.column), (6, 25));
    assert!(
        problem.message.contains("lets other users read it"),
        "{}",
        problem.message
    );
    let secrets = dir.path().join("configs/secrets.yaml");
    assert_eq!(
        problem.hint,
        Some(format!("chmod 600 {}", secrets.display()))
    );
    assert!(!err.to_string().contains("s3cr3t"));
}

#[test]
fn several_errors_at_once_with_key_paths() {
    let text = "workspace: w\nservices:\n  a:\n    command: echo a\n    comand: x\n  b:\n    command: echo b\n    readiness:\n      exec: 'true'\n      intervl: 5s\n  c:\n    command: echo c\n    stop:\n      timeout: [1]\n  d:\n    command: [echo, d]\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("invalid");
    let found: Vec<_> = problems(&err)
        .into_iter()
        .map(|(_, l, c, m, p)| (l, c, m, p))
        .collect();
    assert_eq!(
        found,
        [
            (
                5,
                5,
                "unknown field `comand`".to_owned(),
                "services.a.comand".to_owned()
            ),
            (
                10,
                7,
                "unknown field `intervl`".to_owned(),
                "services.b.readiness.intervl".to_owned()
            ),
            (
                14,
                16,
                "expected a string".to_owned(),
                "services.c.stop.timeout".to_owned()
            ),
            (
                16,
                14,
                "expected a string".to_owned(),
                "services.d.command".to_owned()
            ),
        ]
    );
    let hints: Vec<_> = err.problems().iter().map(|p| p.hint.as_deref()).collect();
    assert_eq!(hints[0], Some("did you mean `command`?"));
    assert_eq!(hints[1], Some("did you mean `interval`?"));
}

#[test]
fn errors_in_an_overlay_name_the_overlay() {
    let overlay = "workspace: other\nservices:\n  a:\n    stop: { timeout: soon }\n";
    let dir = workspace(&[
        ("univers.yaml", BASE),
        ("configs/environments/prod.yaml", overlay),
    ]);
    assert!(load_in(&dir, None).is_ok());
    let err = load_in(&dir, Some("prod")).expect_err("invalid");
    let found: Vec<_> = problems(&err)
        .into_iter()
        .map(|(f, l, c, m, _)| (f, l, c, m))
        .collect();
    assert_eq!(
        found,
        [
            (
                "prod.yaml".to_owned(),
                1,
                1,
                "an environment overlay cannot set `workspace`".to_owned()
            ),
            (
                "prod.yaml".to_owned(),
                4,
                22,
                "invalid duration `soon`".to_owned()
            ),
        ]
    );
}

#[test]
fn a_named_overlay_file_must_exist() {
    let text = "workspace: w\nenvironments:\n  prod: { file: nope.yaml }\nservices: {}\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("missing");
    let problem = &err.problems()[0];
    assert_eq!((problem.line, problem.column), (3, 17));
    assert!(problem.message.starts_with("cannot read overlay "));
    assert_eq!(problem.path, "environments.prod.file");
}

#[test]
fn port_clashes_are_errors() {
    let text = "workspace: w\nservices:\n  a:\n    command: echo a\n    ports: [8080, 70000]\n  b:\n    command: echo b\n    env: { PORT: 8080 }\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("clash");
    let found: Vec<_> = problems(&err)
        .into_iter()
        .map(|(_, l, c, m, p)| (l, c, m, p))
        .collect();
    assert_eq!(
        found,
        [
            (
                5,
                19,
                "port 70000 is out of range".to_owned(),
                "services.a.ports[1]".to_owned()
            ),
            (
                8,
                18,
                "port 8080 is also declared by `a`".to_owned(),
                "services.b.env.PORT".to_owned()
            ),
        ]
    );
}

#[test]
fn a_program_not_on_path_is_a_warning() {
    let text = "workspace: w\nservices:\n  a:\n    command: RUST_LOG=1 exec no-such-program-uc --flag\n  b:\n    command: sh -c 'echo ok'\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let loaded = load_in(&dir, None).expect("warnings do not stop loading");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let warning = &loaded.warnings[0];
    assert_eq!(warning.severity, ProblemSeverity::Warning);
    assert_eq!((warning.line, warning.column), (4, 14));
    assert_eq!(warning.message, "`no-such-program-uc` is not on PATH");
    assert_eq!(warning.path, "services.a.command");
    assert!(warning.to_string().contains(": warning: "));
}

#[test]
fn the_demo_has_three_environments_built_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dev = demo_loaded(dir.path(), None).expect("dev");
    let staging = demo_loaded(dir.path(), Some("staging")).expect("staging");
    let prod = demo_loaded(dir.path(), Some("prod")).expect("prod");
    assert_eq!(dev.workspace.environment.as_deref(), Some("dev"));
    assert_eq!(dev.workspace.file, None);
    let prod_env = prod.workspace.active_environment().expect("prod");
    assert_eq!(
        (prod_env.theme.as_deref(), prod_env.confirm),
        (Some("red"), true)
    );
    let pinger = |l: &Loaded| env_of(l, "pinger", "PING_EVERY").map(str::to_owned);
    assert_eq!(
        (pinger(&dev), pinger(&prod)),
        (Some("2".into()), Some("5".into()))
    );
    assert_eq!(env_of(&staging, "ticker", "LOG_LEVEL"), Some("INFO"));
    for loaded in [&staging, &prod] {
        assert_eq!(
            loaded.workspace.service("worker"),
            dev.workspace.service("worker")
        );
    }
    let worker = dev.workspace.service("worker").expect("worker");
    assert!(worker.command.contains("(pid $$)"));
    let err = demo_loaded(dir.path(), Some("qa")).expect_err("unknown");
    assert!(err.to_string().contains("configs/demo/univers.yaml"));
}

#[test]
fn render_round_trips_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prod = demo_loaded(dir.path(), Some("prod")).expect("prod");
    let file = dir.path().join("univers.yaml");
    let again = load_effective(&prod.effective, &file, dir.path(), Some("prod")).expect("reloads");
    assert_eq!(again.workspace.services, prod.workspace.services);
    assert_eq!(again.hash, prod.hash);
}

#[test]
fn a_missing_key_is_reported_once_at_its_map() {
    let text = "workspace: w\nservices:\n  a:\n    cwd: x\n    tags: [t]\n  b:\n    command: [1]\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("invalid");
    let found: Vec<_> = problems(&err)
        .into_iter()
        .map(|(_, l, c, m, p)| (l, c, m, p))
        .collect();
    assert_eq!(
        found,
        [
            (
                4,
                5,
                "missing field `command`".to_owned(),
                "services.a".to_owned()
            ),
            (
                7,
                14,
                "expected a string".to_owned(),
                "services.b.command".to_owned()
            ),
        ]
    );
}

#[test]
fn a_map_where_a_string_belongs_is_one_problem() {
    let text = "workspace: w\nservices:\n  a:\n    command:\n      run: x\n      args: y\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("invalid");
    let found: Vec<_> = problems(&err)
        .into_iter()
        .map(|(_, l, c, _, p)| (l, c, p))
        .collect();
    assert_eq!(found, [(5, 7, "services.a.command".to_owned())]);
}

#[test]
fn a_value_whose_quoting_cannot_be_told_is_refused_at_its_dollar() {
    let text = "workspace: w\nvars: { A: x }\nservices:\n  a:\n    command: |\n      cat <<EOF\n      ${A}\n      EOF\n  b:\n    command: echo `date ${A}`\n";
    let dir = workspace(&[("univers.yaml", text)]);
    let err = load_in(&dir, None).expect_err("refused");
    let found: Vec<_> = problems(&err)
        .into_iter()
        .map(|(_, l, c, m, p)| (l, c, m, p))
        .collect();
    assert_eq!(
        found,
        [
            (
                7,
                7,
                "uc cannot pass a value safely into a here-document".to_owned(),
                "services.a.command".to_owned()
            ),
            (
                10,
                25,
                "uc cannot pass a value safely inside `…` backquotes".to_owned(),
                "services.b.command".to_owned()
            ),
        ]
    );
    assert!(
        err.problems()[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("$$NAME"))
    );
}

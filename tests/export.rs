//! `uc export compose|k8s|github-actions` on a realistic workspace (environments with
//! overlays, probes of each kind, depends_on, secrets, deploy:), run as the real binary and
//! checked by the real tools: check-jsonschema with its vendored compose-spec and
//! github-workflows schemas and with the Kubernetes schemas vendored in tests/fixtures/k8s;
//! every overlay is built as kustomize builds it (and by `kubectl kustomize` where kubectl
//! is installed). No secret's value may appear in anything written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SECRETS: [&str; 2] = ["s3cr3t-P@ss", "tok-9f8e7d6c"];

const WORKSPACE: &str = r#"workspace: shop
environments:
  dev: {}
  staging: {}
  prod: { confirm: true }
vars:
  LOG_LEVEL: debug
services:
  db:
    command: postgres -D ./data -p 5432
    ports: [5432]
    readiness: { tcp: "127.0.0.1:5432", interval: 2s, timeout: 1s, failure_threshold: 5, start_period: 9s }
    stop: { signal: SIGINT, timeout: 30s }
    restart: always
  api:
    command: ./api --port "$$PORT" --log "${LOG_LEVEL}"
    cwd: ./api
    env:
      PORT: 8080
      DATABASE_URL: "postgres://shop:${secret:db_password}@127.0.0.1:5432/shop"
      GREETING: "it's \"quoted\": $$HOME yes # not a comment"
    depends_on: { db: healthy, migrate: completed }
    readiness: { http: "http://127.0.0.1:8080/health", interval: 5s, timeout: 2s, failure_threshold: 3 }
    liveness: { exec: curl -fsS http://127.0.0.1:8080/live, interval: 10s }
    restart: { policy: on-failure, backoff: 1s..1m, max: 5 within 10m }
    max_memory: 512MiB
    deploy: { repo: ../api.git, branch: main, build: make }
  migrate:
    command: ./migrate up
    depends_on: { db: healthy }
    restart: no
  worker:
    command: ./worker --token "${secret:queue_token}"
    cwd: ./worker
    env: { QUEUE: jobs }
    depends_on: [api]
    restart: unless-stopped
  web:
    command: ./web
    readiness: { exec: test -f /tmp/ready }
    depends_on: { api: healthy }
    deploy: { repo: "git@example.com:acme/shop-web.git", branch: release }
"#;

const PROD: &str = "vars:
  LOG_LEVEL: warn
services:
  api:
    env: { PORT: 9090 }
    readiness: { http: \"http://127.0.0.1:9090/health\" }
  cache:
    command: redis-server --port 6379
    readiness: { tcp: \"127.0.0.1:6379\" }
";

const STAGING: &str = "vars:
  LOG_LEVEL: info
services:
  worker: null
";

/// The workspace in a temp dir, with its secrets file (mode 600) and a state dir.
struct Workspace {
    tmp: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self::with(WORKSPACE, &[("prod", PROD), ("staging", STAGING)])
    }

    /// `text` as univers.yaml and each `(environment, overlay)`.
    fn with(text: &str, overlays: &[(&str, &str)]) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("shop");
        let envs = dir.join("configs/environments");
        std::fs::create_dir_all(&envs).expect("dirs");
        for sub in ["api", "worker"] {
            std::fs::create_dir_all(dir.join(sub)).expect("service dir");
        }
        std::fs::write(dir.join("univers.yaml"), text).expect("workspace");
        for (env, overlay) in overlays {
            std::fs::write(envs.join(format!("{env}.yaml")), overlay).expect("overlay");
        }
        let secrets = format!(
            "db_password: \"{}\"\nqueue_token: \"{}\"\n",
            SECRETS[0], SECRETS[1]
        );
        let file = dir.join("configs/secrets.yaml");
        std::fs::write(&file, secrets).expect("secrets");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        Self { tmp }
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("shop")
    }

    fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }

    fn uc(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_uc"))
            .arg("-f")
            .arg(self.dir().join("univers.yaml"))
            .args(args)
            .current_dir(self.tmp.path())
            .env("UC_STATE_DIR", self.tmp.path().join("state"))
            .output()
            .expect("run uc")
    }

    /// `uc export ARGS --out <out>`, which must succeed.
    fn export(&self, args: &[&str]) -> PathBuf {
        let out = self.out();
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        all.extend(["--out", out.to_str().expect("utf-8 path")]);
        let output = self.uc(&all);
        assert!(output.status.success(), "uc {all:?}: {}", stderr(&output));
        out
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn assert_no_secret(dir: &Path) {
    for file in files(dir) {
        let text = std::fs::read_to_string(&file).expect("read");
        for secret in SECRETS {
            assert!(!text.contains(secret), "{} holds a secret", file.display());
        }
    }
}

/// check-jsonschema: the one `.ci/run` installs (`UC_CHECK_JSONSCHEMA`, which must then
/// work), else one in target/ci-venv or on PATH; `None` (the test says it skipped) in a
/// bare `cargo test` without it.
fn check_jsonschema() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("UC_CHECK_JSONSCHEMA") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "UC_CHECK_JSONSCHEMA={} is missing",
            path.display()
        );
        return Some(path);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/check-jsonschema");
    if venv.is_file() {
        return Some(venv);
    }
    let on_path = Command::new("check-jsonschema").arg("--version").output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return Some("check-jsonschema".into());
    }
    eprintln!("skipped: check-jsonschema is not installed (`bash .ci/run` installs it)");
    None
}

/// Runs check-jsonschema with `schema` (`--builtin-schema NAME` or `--schemafile FILE`).
fn validate(tool: &Path, schema: &[&str], files: &[PathBuf]) -> Output {
    Command::new(tool)
        .args(schema)
        .args(files)
        .output()
        .expect("run check-jsonschema")
}

fn assert_valid(tool: &Path, schema: &[&str], files: &[PathBuf]) {
    let output = validate(tool, schema, files);
    assert!(
        output.status.success(),
        "{schema:?} on {files:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
}

#[test]
fn compose_maps_services_probes_and_policies_and_passes_the_compose_spec() {
    let ws = Workspace::new();
    let out = ws.export(&["compose", "--env", "prod"]);
    let file = out.join("docker-compose.yml");
    assert_no_secret(&out);
    if let Some(tool) = check_jsonschema() {
        assert_valid(
            &tool,
            &["--builtin-schema", "vendor.compose-spec"],
            std::slice::from_ref(&file),
        );
    }
    let doc = read_yaml(&file);
    let services = &doc["services"];
    let api = &services["api"];
    assert_eq!(api["depends_on"]["db"]["condition"], "service_healthy");
    assert_eq!(
        api["depends_on"]["migrate"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(services["migrate"]["restart"], "no");
    assert_eq!(
        api["healthcheck"]["test"],
        serde_json::json!([
            "CMD",
            "curl",
            "-fsS",
            "-o",
            "/dev/null",
            "http://127.0.0.1:9090/health"
        ])
    );
    assert_eq!(api["healthcheck"]["retries"], 3);
    assert_eq!(api["restart"], "on-failure:5");
    assert_eq!(
        api["ports"],
        serde_json::json!([{"target": 9090, "published": "9090"}])
    );
    assert_eq!(api["deploy"]["resources"]["limits"]["memory"], "512m");
    assert_eq!(api["environment"]["PORT"], "9090");
    assert_eq!(
        api["environment"]["DATABASE_URL"],
        "${DATABASE_URL:?set DATABASE_URL in .env}"
    );
    // Compose reads `$$` as one `$`: the shell and the service get the text as written.
    assert_eq!(
        api["environment"]["GREETING"],
        "it's \"quoted\": $$HOME yes # not a comment"
    );
    assert_eq!(
        api["command"][2],
        "./api --port \"$$PORT\" --log \"$${UC_VAR_LOG_LEVEL}\""
    );
    assert_eq!(api["environment"]["UC_VAR_LOG_LEVEL"], "warn");
    assert_eq!(api["environment"]["UC_STATE_DIR"], "/tmp");
    let db = &services["db"];
    assert_eq!(
        db["healthcheck"]["test"],
        serde_json::json!(["CMD", "nc", "-z", "127.0.0.1", "5432"])
    );
    assert_eq!(
        (&db["stop_signal"], &db["stop_grace_period"]),
        (&"SIGINT".into(), &"30s".into())
    );
    assert_eq!(db["restart"], "always");
    assert_eq!(db["healthcheck"]["start_period"], "9s");
    assert_eq!(services["worker"]["working_dir"], "/app/worker");
    assert_eq!(services["worker"]["restart"], "unless-stopped");
    let token = &services["worker"]["environment"]["UC_SECRET_queue_token"];
    assert!(
        token
            .as_str()
            .is_some_and(|t| t.starts_with("${UC_SECRET_queue_token:?"))
    );
    // web's readiness is an exec check: it can be waited for.
    assert_eq!(
        services["web"]["depends_on"]["api"]["condition"],
        "service_healthy"
    );
    assert!(
        services["cache"].is_object(),
        "prod's own service is exported"
    );
}

#[test]
fn the_workflow_deploys_each_service_from_its_repository_and_passes_the_schema() {
    let ws = Workspace::new();
    let out = ws.export(&["github-actions"]);
    let file = out.join(".github/workflows/deploy.yml");
    assert_no_secret(&out);
    if let Some(tool) = check_jsonschema() {
        assert_valid(
            &tool,
            &["--builtin-schema", "vendor.github-workflows"],
            std::slice::from_ref(&file),
        );
    }
    let doc = read_yaml(&file);
    assert_eq!(
        doc["on"]["push"]["branches"],
        serde_json::json!(["main", "release"])
    );
    assert_eq!(
        doc["on"]["push"]["tags"],
        serde_json::json!(["staging-*", "prod-*"])
    );
    let dev = &doc["jobs"]["deploy-dev"];
    assert_eq!(
        dev["runs-on"],
        serde_json::json!(["self-hosted", "uc-shop-dev"])
    );
    assert_eq!(dev["environment"], "dev");
    assert_eq!(dev["env"]["UC_REF"], "${{ github.sha }}");
    let steps = dev["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps
        .iter()
        .filter_map(|s| s["env"]["UC_SERVICE"].as_str())
        .collect();
    assert_eq!(names, ["api", "web"], "only the services with deploy:");
    assert_eq!(
        steps[1]["if"],
        "github.event.repository.name == 'shop-web' && github.ref_name == 'release'"
    );
    for step in steps {
        // Names and refs reach the shell as variables, never in its text.
        assert_eq!(step["run"], "uc deploy \"$UC_SERVICE\" --ref \"$UC_REF\"");
    }
    let prod = &doc["jobs"]["deploy-prod"];
    assert_eq!(prod["if"], "startsWith(github.ref, 'refs/tags/prod-')");
    assert_eq!(
        prod["steps"][0]["if"],
        "github.event.repository.name == 'api'"
    );
}

#[test]
fn stdout_by_default_and_nothing_is_overwritten_without_force() {
    let ws = Workspace::new();
    let printed = ws.uc(&["export", "compose"]);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let out = ws.export(&["compose"]);
    let file = out.join("docker-compose.yml");
    let written = std::fs::read(&file).expect("written");
    assert_eq!(printed.stdout, written, "stdout is the file");

    std::fs::write(&file, "mine\n").expect("edit");
    let again = ws.uc(&["export", "compose", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(again.status.code(), Some(2));
    let message = stderr(&again);
    assert!(
        message.contains(&format!("{} exists; pass --force", file.display())),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine\n");

    let single = ws.tmp.path().join("compose.yaml");
    let single_arg = single.to_str().expect("utf-8");
    let forced = ws.uc(&["export", "compose", "--out", single_arg, "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(std::fs::read(&single).expect("single file"), written);

    let many = ws.uc(&["export", "k8s", "--out", single_arg]);
    assert_eq!(many.status.code(), Some(2));
    assert!(
        stderr(&many).contains("name a directory"),
        "{}",
        stderr(&many)
    );

    let unknown = ws.uc(&["export", "k8s", "--env", "prdo"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("prod"), "{}", stderr(&unknown));
    let image = ws.uc(&["export", "compose", "--image", "bad image"]);
    assert_eq!(image.status.code(), Some(2));
    assert!(
        stderr(&image).contains("--image bad image"),
        "{}",
        stderr(&image)
    );
}

#[test]
fn the_image_names_each_service() {
    let ws = Workspace::new();
    let printed = ws.uc(&[
        "export",
        "compose",
        "--image",
        "ghcr.io/acme/{service}:v1.2",
    ]);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let doc: Value = serde_saphyr::from_slice(&printed.stdout).expect("yaml");
    assert_eq!(doc["services"]["api"]["image"], "ghcr.io/acme/api:v1.2");
    assert_eq!(doc["services"]["db"]["image"], "ghcr.io/acme/db:v1.2");
}

#[test]
fn a_secret_uc_would_write_as_it_is_stops_the_export() {
    let text = "workspace: leak
services:
  api:
    command: ./api
    readiness: { http: \"http://127.0.0.1:8080/health?key=${secret:db_password}\" }
";
    let ws = Workspace::with(text, &[]);
    for target in ["compose", "k8s"] {
        let output = ws.uc(&["export", target]);
        assert_eq!(output.status.code(), Some(2), "{target}");
        assert!(output.stdout.is_empty(), "{target} printed");
        let message = stderr(&output);
        assert!(message.contains("key=${secret:db_password}"), "{message}");
        assert!(!message.contains(SECRETS[0]), "{message}");
    }
}

#[test]
fn without_environments_the_base_holds_the_config_maps_and_one_job_deploys() {
    let text = "workspace: solo
services:
  app:
    command: ./app
    env: { MODE: fast }
    deploy: { repo: /srv/git/app.git }
";
    let ws = Workspace::with(text, &[]);
    let out = ws.export(&["k8s"]);
    let names: Vec<String> = files(&out)
        .iter()
        .map(|f| {
            f.strip_prefix(&out)
                .expect("under out")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "base/configmap-app.yaml",
            "base/deployment-app.yaml",
            "base/kustomization.yaml"
        ]
    );
    let config = read_yaml(&out.join("base/configmap-app.yaml"));
    assert_eq!(config["data"]["MODE"], "fast");
    let workflow = ws.uc(&["export", "github-actions"]);
    let doc: Value = serde_saphyr::from_slice(&workflow.stdout).expect("yaml");
    assert_eq!(
        doc["jobs"]["deploy"]["runs-on"],
        serde_json::json!(["self-hosted", "uc-solo"])
    );
    assert!(doc["jobs"]["deploy"].get("environment").is_none());
    assert_eq!(doc["on"]["push"], serde_json::json!({"branches": ["main"]}));
}

/// One `.env` serves every service: a name two services give different secrets is told
/// apart by the service's name; one they share stays as it is.
#[test]
fn compose_secret_variables_never_collide() {
    let text = r#"workspace: pair
services:
  a: { command: ./a, env: { TOKEN: "${secret:db_password}", KEY: "${secret:queue_token}" } }
  b-2: { command: ./b, env: { TOKEN: "${secret:queue_token}", KEY: "${secret:queue_token}" } }
"#;
    let ws = Workspace::with(text, &[]);
    let output = ws.uc(&["export", "compose"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: Value = serde_saphyr::from_slice(&output.stdout).expect("yaml");
    let reference = |service: &str, name: &str| {
        let value = doc["services"][service]["environment"][name]
            .as_str()
            .expect("set");
        value.split(':').next().expect("a reference").to_owned()
    };
    assert_eq!(reference("a", "TOKEN"), "${A_TOKEN");
    assert_eq!(reference("b-2", "TOKEN"), "${B_2_TOKEN");
    assert_eq!(reference("a", "KEY"), "${KEY");
    assert_eq!(reference("b-2", "KEY"), "${KEY");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.contains("never from this file: A_TOKEN, B_2_TOKEN, KEY\n"),
        "{text}"
    );
    assert!(SECRETS.iter().all(|s| !text.contains(s)));
}

#[test]
fn a_workflow_that_would_deploy_nothing_is_refused() {
    let ws = Workspace::with(
        "workspace: idle\nservices:\n  app: { command: ./app }\n",
        &[],
    );
    let output = ws.uc(&["export", "github-actions"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no service has `deploy:`"),
        "{}",
        stderr(&output)
    );
}

#[path = "export/kustomize.rs"]
mod kustomize;

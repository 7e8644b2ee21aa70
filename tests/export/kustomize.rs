//! `uc export k8s`: each overlay built the way kustomize builds it (every listed resource
//! exists, every patch targets a resource that exists), each built resource checked against
//! the Kubernetes schema of its kind, and, where kubectl is installed, the same build from
//! `kubectl kustomize`.

use std::collections::BTreeMap;

use super::*;

const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

fn key(doc: &Value) -> (String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (text(&doc["kind"]), text(&doc["metadata"]["name"]))
}

/// The resources `dir`'s kustomization.yaml makes: its resources (files, or directories
/// built in turn), then its patches: JSON 6902 operations on their target, or a
/// strategic-merge `$patch: delete`.
fn build(dir: &Path) -> Vec<Value> {
    let kustomization = read_yaml(&dir.join("kustomization.yaml"));
    let mut docs = Vec::new();
    for resource in kustomization["resources"].as_array().expect("resources") {
        let path = dir.join(resource.as_str().expect("a path"));
        if path.is_dir() {
            docs.extend(build(&path));
        } else {
            assert!(
                path.is_file(),
                "{} lists {}, which is missing",
                dir.display(),
                path.display()
            );
            docs.push(read_yaml(&path));
        }
    }
    let patches = kustomization["patches"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for entry in patches {
        let path = dir.join(entry["path"].as_str().expect("patch path"));
        assert!(path.is_file(), "patch {} is missing", path.display());
        let patch = read_yaml(&path);
        let target = if patch.is_array() {
            (
                entry["target"]["kind"].as_str().expect("kind").to_owned(),
                entry["target"]["name"].as_str().expect("name").to_owned(),
            )
        } else {
            key(&patch)
        };
        let at = docs.iter().position(|d| key(d) == target);
        let at = at
            .unwrap_or_else(|| panic!("{} targets {target:?}, which is not there", path.display()));
        if patch.is_array() {
            for op in patch.as_array().expect("operations") {
                assert_eq!(op["op"], "replace", "{}", path.display());
                let pointer = op["path"].as_str().expect("path");
                let slot = docs[at].pointer_mut(pointer);
                *slot.unwrap_or_else(|| panic!("{pointer} is not in {target:?}")) =
                    op["value"].clone();
            }
        } else {
            assert_eq!(patch["$patch"], "delete", "{}", path.display());
            docs.remove(at);
        }
    }
    let mut keys: Vec<_> = docs.iter().map(key).collect();
    keys.sort();
    let count = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), count, "a resource twice in {}", dir.display());
    docs
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| key(d) == (kind.to_owned(), name.to_owned()))
}

/// Each built resource against the vendored schema of its kind.
fn check_kinds(tool: &Path, docs: &[Value], scratch: &Path) {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s");
    let mut by_kind: BTreeMap<&str, Vec<PathBuf>> = BTreeMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let kind = doc["kind"].as_str().expect("kind");
        let path = scratch.join(format!("{i}-{kind}.json"));
        std::fs::write(&path, serde_json::to_vec(doc).expect("json")).expect("write");
        by_kind.entry(kind).or_default().push(path);
    }
    for (kind, files) in by_kind {
        let schema = match kind {
            "Deployment" => "deployment-apps-v1.json",
            "Service" => "service-v1.json",
            "Job" => "job-batch-v1.json",
            "ConfigMap" => "configmap-v1.json",
            other => panic!("no schema vendored for {other}"),
        };
        let schema = schemas.join(schema);
        assert_valid(
            tool,
            &["--schemafile", schema.to_str().expect("utf-8")],
            &files,
        );
    }
}

/// `kubectl kustomize DIR`'s resources, when kubectl is installed.
fn kubectl_build(dir: &Path) -> Option<Vec<Value>> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        stderr(&output)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    Some(serde_saphyr::from_multiple(&text).expect("kubectl's YAML"))
}

fn sorted(mut docs: Vec<Value>) -> Vec<Value> {
    docs.sort_by_key(key);
    docs
}

#[test]
fn k8s_overlays_resolve_and_every_resource_passes_the_kubernetes_schemas() {
    let ws = Workspace::new();
    let out = ws.export(&["k8s"]);
    assert_no_secret(&out);
    let tool = check_jsonschema();
    let scratch = tempfile::tempdir().expect("scratch");
    let mut kubectl_missing = false;
    for dir in ["base".to_owned()]
        .into_iter()
        .chain(ENVIRONMENTS.map(|e| format!("overlays/{e}")))
    {
        let docs = build(&out.join(&dir));
        if let Some(tool) = &tool {
            let sub = scratch.path().join(dir.replace('/', "-"));
            std::fs::create_dir_all(&sub).expect("scratch dir");
            check_kinds(tool, &docs, &sub);
        }
        match kubectl_build(&out.join(&dir)) {
            Some(theirs) => assert_eq!(
                sorted(theirs),
                sorted(docs.clone()),
                "kubectl kustomize {dir}"
            ),
            None => kubectl_missing = true,
        }
        for deployment in docs.iter().filter(|d| d["kind"] == "Deployment") {
            let container = &deployment["spec"]["template"]["spec"]["containers"][0];
            let config = container["envFrom"][0]["configMapRef"]["name"]
                .as_str()
                .expect("ref");
            if dir != "base" {
                assert!(
                    find(&docs, "ConfigMap", config).is_some(),
                    "{dir}: {config} is missing"
                );
            }
            assert_eq!(
                deployment["metadata"]["labels"]["app.kubernetes.io/part-of"],
                "shop"
            );
        }
    }
    if kubectl_missing {
        eprintln!("kubectl is not installed: the overlays were built by the test alone");
    }

    let base = build(&out.join("base"));
    let api = &find(&base, "Deployment", "api").expect("api")["spec"]["template"]["spec"];
    let container = &api["containers"][0];
    assert_eq!(
        container["readinessProbe"],
        serde_json::json!({"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 5,
            "timeoutSeconds": 2, "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(
        container["livenessProbe"]["exec"]["command"][2],
        "curl -fsS http://127.0.0.1:8080/live"
    );
    assert_eq!(container["resources"]["limits"]["memory"], "512Mi");
    assert_eq!(
        container["env"],
        serde_json::json!([{"name": "DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "api-secrets", "key": "DATABASE_URL"}}}])
    );
    let db = &find(&base, "Deployment", "db").expect("db")["spec"]["template"]["spec"];
    assert_eq!(db["terminationGracePeriodSeconds"], 30);
    assert_eq!(
        db["containers"][0]["readinessProbe"]["tcpSocket"],
        serde_json::json!({"port": 5432})
    );
    // start_period 9s at a 2s interval: 5 tries for the startup probe; no delay elsewhere.
    assert_eq!(
        db["containers"][0]["startupProbe"],
        serde_json::json!({"tcpSocket": {"port": 5432}, "periodSeconds": 2, "timeoutSeconds": 1,
            "failureThreshold": 5})
    );
    assert!(
        db["containers"][0]["readinessProbe"]
            .get("initialDelaySeconds")
            .is_none()
    );
    assert!(find(&base, "Service", "db").is_some() && find(&base, "Service", "worker").is_none());
    // migrate runs to completion before api starts: a Job run once, not a Deployment.
    let migrate = find(&base, "Job", "migrate").expect("a Job");
    assert_eq!(migrate["spec"]["backoffLimit"], 0);
    assert_eq!(
        migrate["spec"]["template"]["spec"]["restartPolicy"],
        "Never"
    );
    assert!(find(&base, "Deployment", "migrate").is_none());

    let prod = build(&out.join("overlays/prod"));
    let api = &find(&prod, "Deployment", "api").expect("api")["spec"]["template"]["spec"];
    assert_eq!(
        api["containers"][0]["readinessProbe"]["httpGet"]["port"],
        9090
    );
    let config = &find(&prod, "ConfigMap", "api-env").expect("api-env")["data"];
    assert_eq!(
        (&config["PORT"], &config["UC_VAR_LOG_LEVEL"]),
        (&"9090".into(), &"warn".into())
    );
    assert!(
        config.get("DATABASE_URL").is_none(),
        "a secret in a ConfigMap"
    );
    assert!(
        find(&prod, "Deployment", "cache").is_some() && find(&prod, "Service", "cache").is_some()
    );
    let staging = build(&out.join("overlays/staging"));
    assert!(
        find(&staging, "Deployment", "worker").is_none(),
        "staging drops worker"
    );
    assert!(find(&staging, "Deployment", "api").is_some());
}

/// The schemas are strict: a wrong field fails, so a pass means something.
#[test]
fn the_vendored_schemas_reject_a_wrong_deployment() {
    let Some(tool) = check_jsonschema() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("scratch");
    let wrong = scratch.path().join("wrong.json");
    let doc = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "x"}, "spec": {"replicas": 1, "selector": {}, "template": {
            "spec": {"containers": [{"name": "x", "readinessProbe": {"periodSecond": 5}}]}}}});
    std::fs::write(&wrong, doc.to_string()).expect("write");
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s/deployment-apps-v1.json");
    let output = validate(
        &tool,
        &["--schemafile", schema.to_str().expect("utf-8")],
        &[wrong],
    );
    assert!(!output.status.success(), "a misspelt probe field passed");
}

/// The demo's commands are multi-line scripts full of `$`: they come out as `|` blocks,
/// each `$` doubled for compose and kept as it is for Kubernetes.
#[test]
fn the_demo_exports_with_its_scripts_intact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    for (target, dir) in [("compose", out.clone()), ("k8s", out.join("k8s"))] {
        let output = Command::new(env!("CARGO_BIN_EXE_uc"))
            .args(["--demo", "export", target, "--out"])
            .arg(&dir)
            .env("UC_STATE_DIR", tmp.path().join("state"))
            .output()
            .expect("run uc");
        assert!(output.status.success(), "{target}: {}", stderr(&output));
    }
    let compose = out.join("docker-compose.yml");
    let line = "exec python3 -u -m http.server \"$PORT\" --bind 127.0.0.1\n";
    let web = &read_yaml(&compose)["services"]["web"];
    let command = web["command"][2].as_str().expect("command");
    assert!(command.ends_with(&line.replace('$', "$$")), "{command}");
    let docs = build(&out.join("k8s/overlays/prod"));
    let deployment = find(&docs, "Deployment", "web").expect("web");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let command = container["command"][2].as_str().expect("command");
    assert!(command.ends_with(line), "{command}");
    if let Some(tool) = check_jsonschema() {
        assert_valid(
            &tool,
            &["--builtin-schema", "vendor.compose-spec"],
            &[compose],
        );
        check_kinds(&tool, &docs, tmp.path());
    }
}

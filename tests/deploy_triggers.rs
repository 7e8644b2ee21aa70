//! Deploy triggers end to end, with the real `uc` binary and real git: `git push` to a bare
//! repository with the installed post-receive hook deploys (a user's own hook chained and
//! given back on remove); polling deploys a new commit without any hook; rules send `main`
//! to staging and tags `v*` to prod (a ref the host's environment does not take is recorded
//! as skipped, with the reason); a pipeline's prod stage with `approve:` waits, is approved
//! from the CLI or rejected over `uc serve` by a deployer (an operator gets 403 naming the
//! role, a stage asking for admin refuses a deployer), who and when recorded and audited.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::cli::Env;
use common::deploy::{Repo, free_port, get};

const T: Duration = Duration::from_secs(30);

fn history(env: &Env) -> Vec<serde_json::Value> {
    let text = env.ok(&["deploy", "history", "--json"]);
    serde_json::from_str(&text).expect("history json")
}

/// Waits until the newest deploy is of `commit` and has ended `state`.
fn wait_deployed(env: &Env, commit: &str, state: &str) -> serde_json::Value {
    let done = common::eventually(T, || {
        (history(env).first()).is_some_and(|d| d["commit"] == commit && d["state"] == state)
    });
    assert!(done, "{commit} never {state}: {:#?}", history(env));
    history(env).remove(0)
}

fn services(repo: &Path, port: u16, deploy: &str) -> String {
    format!(
        "  app:
    command: exec python3 app.py
    env: {{ PORT: {port} }}
    readiness: {{ http: http://127.0.0.1:{port}/up }}
    deploy:
      repo: {}
      gate: {{ passes: 1, interval: 100ms, timeout: 10s }}
{deploy}",
        repo.display()
    )
}

/// `git ARGS` in `dir` with no uc variables: the hook must find the engine on its own.
fn git_in(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("UC_STATE_DIR")
        .env_remove("UC_TMUX_SOCKET")
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    out
}

/// `uc deploy pushed app` with the hook's stdin line for `git_ref` at `sha`.
fn pushed(env: &Env, git_ref: &str, sha: &str) -> String {
    use std::io::Write;
    let mut child = env
        .uc(&["deploy", "pushed", "app"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("uc deploy pushed");
    let line = format!("{} {sha} {git_ref}\n", "0".repeat(40));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(line.as_bytes()).expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_push_with_the_installed_hook_deploys_and_remove_gives_back_the_users_hook() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let bare: PathBuf = tmp.path().join("it's a bare.git");
    git_in(
        tmp.path(),
        &["init", "--quiet", "--bare", &bare.to_string_lossy()],
    );
    repo.git(&["remote", "add", "origin", &bare.to_string_lossy()]);
    let port = free_port();
    let env = Env::new(&services(&bare, port, ""));

    let user_hook = bare.join("hooks/post-receive");
    let user_text = "#!/bin/sh\ncat >> user-hook-saw\n";
    std::fs::write(&user_hook, user_text).expect("user hook");
    std::fs::set_permissions(&user_hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    repo.commit("v1", "ok", "");
    repo.git(&["push", "--quiet", "origin", "main"]);
    env.ok(&["deploy", "app"]);
    assert_eq!(get(port), Some((200, "v1".into())));

    let out = env.ok(&["deploy", "hook", "install", "app"]);
    assert!(out.contains("chained the existing hook"), "{out}");
    let hook = std::fs::read_to_string(&user_hook).expect("our hook");
    assert!(hook.contains("deploy pushed 'app'"), "{hook}");
    assert!(
        hook.contains(&format!("'{}'", env!("CARGO_BIN_EXE_uc"))),
        "{hook}"
    );
    // A path with a quote in it stays one word: its `'` is closed, escaped and reopened.
    assert!(hook.contains(r"it'\''s a bare.git"), "{hook}");

    let v2 = repo.commit("v2", "ok", "");
    let push = git_in(&repo.dir, &["push", "origin", "main"]);
    let said = String::from_utf8_lossy(&push.stderr);
    assert!(said.contains("remote: uc: deploy"), "{said}");
    let deployed = wait_deployed(&env, &v2, "succeeded");
    assert_eq!(deployed["trigger"], "push");
    assert_eq!(get(port), Some((200, "v2".into())));
    let saw = std::fs::read_to_string(bare.join("user-hook-saw")).expect("user hook ran");
    assert!(saw.contains(&format!("{v2} refs/heads/main")), "{saw}");

    let out = env.ok(&["deploy", "hook", "remove", "app"]);
    assert!(out.contains("chained hook is post-receive again"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&user_hook).expect("hook"),
        user_text
    );
    assert!(!bare.join("hooks/post-receive.uc-chained").exists());
    let out = env.ok(&["deploy", "hook", "remove", "app"]);
    assert!(out.contains("nothing to remove"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&user_hook).expect("hook"),
        user_text
    );
    env.ok(&["down"]);
}

#[test]
fn polling_deploys_a_new_commit_and_nothing_when_nothing_changed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let env = Env::new(&services(&repo.dir, port, "      poll: 5s\n"));
    let v1 = repo.commit("v1", "ok", "");
    env.ok(&["deploy", "app"]);
    assert_eq!(history(&env)[0]["commit"], v1.as_str());

    let v2 = repo.commit("v2", "ok", "");
    let polled = wait_deployed(&env, &v2, "succeeded");
    assert_eq!(
        (&polled["trigger"], &polled["by"]),
        (&"poll".into(), &"poll".into())
    );
    assert_eq!(get(port), Some((200, "v2".into())));

    // Polls in between saw nothing new: the next deploy is v3's, right after v2's.
    let v3 = repo.commit("v3", "ok", "");
    wait_deployed(&env, &v3, "succeeded");
    let commits: Vec<String> = (history(&env).iter())
        .map(|d| d["commit"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(commits, [v3, v2, v1]);
    env.ok(&["down"]);
}

#[test]
fn rules_send_main_to_staging_and_tags_to_prod_and_say_why_a_ref_is_skipped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let rules = "      rules:
        - { branch: main, environment: staging }
        - { tag: \"v*\", environment: prod }
";
    let env = Env::with_settings(
        &services(&repo.dir, port, rules),
        "environments: [staging, prod]\n",
    );
    repo.commit("v1", "ok", "");
    env.ok(&["deploy", "app"]);
    let v2 = repo.commit("v2", "ok", "");
    let out = pushed(&env, "refs/heads/main", &v2);
    assert!(out.contains("deploy 2 of app started"), "{out}");
    wait_deployed(&env, &v2, "succeeded");

    let v3 = repo.commit("v3", "ok", "");
    repo.git(&["tag", "v3.0"]);
    let out = pushed(&env, "refs/tags/v3.0", &v3);
    let why = "refs/tags/v3.0 goes to prod by its rule; this host runs staging";
    assert!(out.contains(why), "{out}");
    let out = pushed(&env, "refs/heads/feature", &v3);
    assert!(out.contains("no rule names refs/heads/feature"), "{out}");
    let recorded = history(&env);
    assert_eq!(
        (
            &recorded[0]["state"],
            &recorded[0]["cause"],
            &recorded[1]["cause"]
        ),
        (
            &"skipped".into(),
            &"no rule names refs/heads/feature".into(),
            &why.into()
        )
    );
    assert_eq!(
        get(port),
        Some((200, "v2".into())),
        "a skipped push changes nothing"
    );
    let status = env.ok(&["deploy", "status"]);
    assert!(
        status.contains("succeeded"),
        "the latest deploy is still v2's: {status}"
    );

    env.ok(&["env", "use", "prod", "--yes"]);
    let out = pushed(&env, "refs/heads/main", &v3);
    assert!(out.contains("refs/heads/main goes to staging"), "{out}");
    let out = pushed(&env, "refs/tags/v3.0", &v3);
    assert!(out.contains("started"), "{out}");
    wait_deployed(&env, &v3, "succeeded");
    assert_eq!(get(port), Some((200, "v3".into())));
    env.ok(&["down"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prod_stage_waits_for_a_deployer_and_a_rejection_leaves_the_release_serving() {
    use common::serve::{Body, Serve, token, wait_audit};
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let pipeline = "      pipeline:
        - { environment: staging }
        - { environment: prod, approve: deployer }
";
    let env = Env::with_settings(
        &services(&repo.dir, port, pipeline),
        "environments: [prod, staging]\n",
    );
    repo.commit("v1", "ok", "");
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("waiting for a deployer's approval"), "{out}");
    assert!(out.contains("`uc deploy approve app`"), "{out}");
    let status = env.ok(&["deploy", "status"]);
    assert!(status.contains("waiting (approval)"), "{status}");
    assert_eq!(history(&env)[0]["state"], "waiting");
    assert_eq!(get(port), None, "nothing serves before the approval");

    let out = env.ok(&["deploy", "approve", "app"]);
    assert!(out.contains("approved deploy 1 of app"), "{out}");
    assert!(out.contains("deployed"), "{out}");
    assert_eq!(get(port), Some((200, "v1".into())));
    let approved = history(&env).remove(0);
    let user = univers_container::store::audit::local_user();
    assert_eq!(
        (
            &approved["approval"]["approved"],
            &approved["approval"]["by"]
        ),
        (&true.into(), &user.as_str().into())
    );
    assert!(approved["approval"]["at"].as_u64().is_some_and(|at| at > 0));
    let table = env.ok(&["deploy", "history"]);
    assert!(
        table.contains(&format!("approved by {user} at ")),
        "{table}"
    );

    repo.commit("v2", "ok", "");
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("waiting for a deployer's approval"), "{out}");
    let operator = token(&env, "olga", "operator", &[]);
    let deployer = token(&env, "dana", "deployer", &[]);
    let serve = Serve::start(&env, &[]);
    let route = |verb: &str| format!("/api/v1/workspaces/{}/services/app/{verb}", env.workspace);
    let (status, answer) = serve
        .call_json("POST", &route("approve"), &operator, Body::None)
        .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("needs role deployer"),
        "{answer}"
    );
    let (status, answer) = serve
        .call_json("POST", &route("reject"), &deployer, Body::None)
        .await;
    assert_eq!(
        (status, &answer["state"]),
        (202, &"waiting".into()),
        "{answer}"
    );
    let rejected = common::eventually(T, || history(&env)[0]["state"] == "rejected");
    assert!(rejected, "{:#?}", history(&env)[0]);
    let last = history(&env).remove(0);
    assert_eq!(
        (
            &last["approval"]["approved"],
            &last["approval"]["by"],
            &last["cause"]
        ),
        (&false.into(), &"dana".into(), &"rejected by dana".into())
    );
    assert_eq!(get(port), Some((200, "v1".into())), "v1 still serves");
    let (status, answer) = serve
        .call_json("POST", &route("approve"), &deployer, Body::None)
        .await;
    assert_eq!(
        (status, &answer["field"]),
        (400, &"service".into()),
        "{answer}"
    );

    let rows = wait_audit(&env, |rows| rows.len() >= 3);
    let seen: Vec<(String, String, u16)> = (rows.iter())
        .map(|r| {
            (
                r.token.clone().unwrap_or_default(),
                r.route.clone(),
                r.status,
            )
        })
        .collect();
    let at = |verb: &str| format!("/api/v1/services/app/{verb}");
    assert_eq!(
        seen,
        [
            ("olga".to_owned(), at("approve"), 403),
            ("dana".to_owned(), at("reject"), 202),
            ("dana".to_owned(), at("approve"), 400),
        ]
    );
    env.ok(&["down"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_asking_for_admin_refuses_a_deployer_naming_the_role() {
    use common::serve::{Body, Serve, token};
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let pipeline = "      pipeline:\n        - { environment: prod, approve: admin }\n";
    let env = Env::with_settings(
        &services(&repo.dir, port, pipeline),
        "environments: [prod]\n",
    );
    let v1 = repo.commit("v1", "ok", "");
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("waiting for an admin's approval"), "{out}");
    let deployer = token(&env, "dana", "deployer", &[]);
    let admin = token(&env, "root-ish", "admin", &[]);
    let serve = Serve::start(&env, &[]);
    let approve = format!("/api/v1/workspaces/{}/services/app/approve", env.workspace);
    let (status, answer) = serve
        .call_json("POST", &approve, &deployer, Body::None)
        .await;
    assert_eq!(
        (status, &answer["field"]),
        (403, &"role".into()),
        "{answer}"
    );
    assert_eq!(answer["hint"], "needs role admin", "{answer}");
    assert_eq!(history(&env)[0]["state"], "waiting", "still waiting");
    let (status, answer) = serve.call_json("POST", &approve, &admin, Body::None).await;
    assert_eq!(status, 202, "{answer}");
    let done = wait_deployed(&env, &v1, "succeeded");
    assert_eq!(done["approval"]["by"], "root-ish");
    assert_eq!(get(port), Some((200, "v1".into())));
    env.ok(&["down"]);
}

//! `uc export github-actions`: a workflow that runs `uc deploy` for each service with a
//! `deploy:`, on a self-hosted runner of the machine that runs the workspace.
//!
//! A self-hosted runner rather than ssh: `uc deploy` talks to the engine's Unix socket, and
//! a runner there needs no key that could open a shell on the machine stored in GitHub.
//! Pushes to the deploy branches deploy to the default environment; a tag `<env>-…` to
//! that environment, each on the runner labelled `uc-<workspace>-<env>`, as a job of the
//! GitHub environment of that name (so its protection rules and approvals apply).
//! Names and refs reach the shell as environment variables, never inside its text.

use std::collections::BTreeSet;

use super::{ExportError, File, Loaded, Yaml};
use crate::config::{Environment, Service, Workspace};

pub const FILE: &str = ".github/workflows/deploy.yml";

pub(super) fn render(loaded: &Loaded) -> Result<File, ExportError> {
    let ws = &loaded.base;
    let branches: BTreeSet<&str> = deployed(ws).map(|(_, d)| d.branch.as_str()).collect();
    let mut jobs = Yaml::map();
    let mut tags = Vec::new();
    if loaded.environments.is_empty() && deployed(ws).next().is_some() {
        jobs = jobs.with("deploy", job(ws, None, true));
    }
    // An environment whose overlay leaves no `deploy:` gets no job.
    for (env, env_ws) in &loaded.environments {
        if deployed(env_ws).next().is_none() {
            continue;
        }
        let default = ws.environments.first() == Some(env);
        if !default {
            tags.push(format!("{}-*", env.name));
        }
        jobs = jobs.with(
            &format!("deploy-{}", env.name),
            job(env_ws, Some(env), default),
        );
    }
    if jobs == Yaml::map() {
        let scope = match loaded.environments.as_slice() {
            [(env, _)] if ws.environments.len() > 1 => format!(" in environment {}", env.name),
            _ => String::new(),
        };
        return Err(ExportError::NothingToDeploy(scope));
    }
    let push = Yaml::map()
        .unless_empty("branches", branches.into_iter().collect::<Vec<_>>().into())
        .unless_empty("tags", tags.into());
    let doc = Yaml::map()
        .with("name", "deploy")
        .with("on", Yaml::map().with("push", push))
        .with("permissions", Yaml::map().with("contents", "read"))
        .with("jobs", jobs);
    let header = format!(
        "# Written by `uc export github-actions` from {}.\n\
         # Runs on a self-hosted runner labelled uc-<workspace>[-<environment>] on the machine\n\
         # running the workspace; set the variable UC_CONFIG (the univers.yaml it runs) there.\n",
        super::origin(ws)
    );
    Ok(File {
        path: FILE.into(),
        text: format!("{header}{}", doc.emit()?),
    })
}

fn deployed(ws: &Workspace) -> impl Iterator<Item = (&Service, &crate::config::Deploy)> {
    ws.services
        .iter()
        .filter_map(|s| s.deploy.as_ref().map(|d| (s, d)))
}

/// `default`: the job branch pushes run; the others run on their environment's tags.
fn job(ws: &Workspace, env: Option<&Environment>, default: bool) -> Yaml {
    let mut label = format!("uc-{}", ws.name);
    if let Some(env) = env {
        label.push('-');
        label.push_str(&env.name);
    }
    let condition = match env {
        Some(env) if !default => format!("startsWith(github.ref, 'refs/tags/{}-')", env.name),
        _ => "github.ref_type == 'branch'".to_owned(),
    };
    let steps: Vec<Yaml> = deployed(ws).map(|(s, d)| step(s, d, default)).collect();
    let vars = Yaml::map()
        .with("UC_CONFIG", "${{ vars.UC_CONFIG }}")
        .with("UC_REF", "${{ github.sha }}");
    let concurrency = Yaml::map()
        .with("group", label.clone())
        .with("cancel-in-progress", false);
    Yaml::map()
        .with("if", condition)
        .with("runs-on", vec!["self-hosted".to_owned(), label])
        .maybe("environment", env.map(|e| e.name.clone()))
        .with("concurrency", concurrency)
        .with("env", vars)
        .with("steps", steps)
}

/// One service's deploy, when the push is to the repository its releases come from (and,
/// for a branch push, to its branch).
fn step(s: &Service, deploy: &crate::config::Deploy, branch_push: bool) -> Yaml {
    let mut condition = format!(
        "github.event.repository.name == {}",
        literal(repository_name(&deploy.repo))
    );
    if branch_push {
        condition.push_str(&format!(
            " && github.ref_name == {}",
            literal(&deploy.branch)
        ));
    }
    Yaml::map()
        .with("name", format!("uc deploy {}", s.name))
        .with("if", condition)
        .with("run", "uc deploy \"$UC_SERVICE\" --ref \"$UC_REF\"")
        .with("env", Yaml::map().with("UC_SERVICE", s.name.clone()))
}

/// `../api.git`, `git@host:org/api.git`, `https://host/org/api` → `api`.
fn repository_name(repo: &str) -> &str {
    let last = repo
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(repo);
    last.strip_suffix(".git").unwrap_or(last)
}

/// A string literal of GitHub's expression language.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_is_named_by_its_last_component() {
        assert_eq!(repository_name("/srv/git/api.git"), "api");
        assert_eq!(
            repository_name("git@github.com:acme/shop-web.git"),
            "shop-web"
        );
        assert_eq!(
            repository_name("https://example.com/acme/worker/"),
            "worker"
        );
        assert_eq!(literal("it's"), "'it''s'");
    }
}

//! `uc serve` and `uc token create|list|revoke`: the HTTP server for every workspace and the
//! tokens it accepts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use super::output::outln;
use super::{CliResult, Failure, duration_arg};
use crate::config::Source;
use crate::protocol::Role;
use crate::store::{AuditRecord, NewToken, TokenError, TokenInfo, Tokens};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; one that is not loopback needs TLS or --insecure-http
    #[arg(long, default_value = "127.0.0.1:7070")]
    listen: SocketAddr,
    /// PEM certificate chain for HTTPS
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (tokens cross the network in clear)
    #[arg(long)]
    insecure_http: bool,
    /// Workspace of unprefixed /api/v1/... (default: ./univers.yaml's, else the only one running)
    #[arg(long = "default")]
    default: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCmd {
    /// Make a token and print it, once
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// The one workspace it may reach (default: all)
        #[arg(long)]
        workspace: Option<String>,
        /// How long it works (e.g. 30d, 12h; default: until revoked)
        #[arg(long, value_parser = duration_arg)]
        expires: Option<std::time::Duration>,
    },
    /// Every token: name, role, workspace, created, expires, last used (never the token)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop a token from working (within a second, also in a running `uc serve`)
    Revoke { name: String },
}

pub async fn serve(source: &Source, args: ServeArgs) -> CliResult {
    let default = match args.default {
        Some(name) => Some(
            crate::serve::route::workspace_name(&name)
                .map_err(|e| Failure::input(anyhow::anyhow!("--default: {e}")))?,
        ),
        None => match source {
            Source::File(path) if path.exists() => {
                source.workspace_name().map(|n| crate::paths::sanitize(&n))
            }
            _ => None,
        },
    };
    if !args.listen.ip().is_loopback() && args.tls_cert.is_none() && args.insecure_http {
        eprintln!(
            "warning: serving plain HTTP on {}: bearer tokens cross the network in clear",
            args.listen
        );
    }
    let options = crate::serve::Options {
        listen: args.listen,
        tls: args.tls_cert.zip(args.tls_key),
        insecure_http: args.insecure_http,
        default,
    };
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    crate::serve::run(options, |addr| {
        eprintln!("uc serve: listening on {scheme}://{addr}");
    })
    .await
    .map_err(|e| match e {
        crate::serve::ServeError::Insecure(_) => Failure::input(e),
        e => Failure::runtime(e),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn serve_dir() -> Result<PathBuf, Failure> {
    let dir = crate::serve::dir().map_err(Failure::runtime)?;
    crate::paths::private_dir(&dir).map_err(Failure::runtime)?;
    Ok(dir)
}

pub fn token(command: TokenCmd) -> CliResult {
    let dir = serve_dir()?;
    let mut tokens = Tokens::open(crate::serve::tokens_db(&dir)).map_err(Failure::runtime)?;
    let now = crate::clock::now_ms();
    let (action, name) = match command {
        TokenCmd::List { json } => return list(&tokens, json, now),
        TokenCmd::Create {
            name,
            role,
            workspace,
            expires,
        } => {
            let new = NewToken {
                name,
                role,
                workspace: workspace
                    .map(|w| crate::serve::route::workspace_name(&w))
                    .transpose()
                    .map_err(|e| Failure::input(anyhow::anyhow!("--workspace: {e}")))?,
                lasts: expires,
            };
            let (info, token) = tokens.issue(new, now).map_err(|e| match e {
                TokenError::BadName(_) | TokenError::Exists(_) => {
                    Failure::input(anyhow::anyhow!("--name: {e}"))
                }
                e => Failure::runtime(e),
            })?;
            outln!("{token}")?;
            eprintln!(
                "token {} ({}) made: this is the only time it is shown",
                info.name,
                role.name()
            );
            let name = info.name;
            ("token create", name)
        }
        TokenCmd::Revoke { name } => {
            tokens.revoke(&name, now).map_err(Failure::input)?;
            eprintln!("token {name} revoked");
            ("token revoke", name)
        }
    };
    // Written before the command ends: a token change is on record, or reported.
    let mut record = AuditRecord::now(&crate::store::audit::local_user(), "cli", action, "ok");
    record.target = Some(name);
    super::audit_cmd::record(&dir, &record)?;
    Ok(ExitCode::SUCCESS)
}

fn list(tokens: &Tokens, json: bool, now: u64) -> CliResult {
    let all: Vec<TokenInfo> = tokens
        .all()
        .map_err(Failure::runtime)?
        .into_iter()
        .map(|(_, info)| info)
        .collect();
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&all).map_err(Failure::runtime)?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<20} {:<9} {:<20} {:<10} {:<12} LAST USED",
        "NAME",
        "ROLE",
        "WORKSPACE",
        "CREATED",
        "EXPIRES"
    )?;
    for t in &all {
        let expires = match (t.revoked, t.expires) {
            (Some(_), _) => "revoked".to_owned(),
            (None, Some(at)) if at <= now => "expired".to_owned(),
            (None, Some(at)) => format!("in {}", crate::format::remaining(at, now)),
            (None, None) => "never".to_owned(),
        };
        let used = t
            .last_used
            .map_or_else(|| "never".to_owned(), |at| crate::format::age(at, now));
        outln!(
            "{:<20} {:<9} {:<20} {:<10} {:<12} {used}",
            t.name,
            t.role.name(),
            t.workspace.as_deref().unwrap_or("all"),
            crate::format::age(t.created, now),
            expires,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

//! The socket other users reach (`access:`): `.uc-<workspace>/engine.sock` beside the
//! workspace file, so their `uc`, run in the same directory, finds it (`Paths::with_shared`).
//! The directory is 0700 while `access:` grants nobody, so they are told the workspace is
//! not theirs; once it grants someone it is 0770 and owned by `access.group`, which every
//! granted user must be in. Who may do what is then the API guard's to say. A config applied
//! later brings its grants into force at once ([`follow`]).

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use tokio::net::UnixListener;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::config::Workspace;
use crate::config::access::Access;
use crate::protocol::{Hub, NoticeLevel};
use crate::supervisor::apply::ApplyRequest;

/// The grants the API guard reads, replaced when a config is applied.
pub type SharedAccess = Arc<RwLock<Arc<Access>>>;

/// Stands between the configuration center and the supervisor: each config handed over for
/// applying brings its `access:` into force, and the shared directory's group and mode with
/// it (a socket is only made or removed at the engine's start).
pub fn follow(
    supervisor: UnboundedSender<ApplyRequest>,
    access: SharedAccess,
    hub: Hub,
) -> UnboundedSender<ApplyRequest> {
    let (tx, mut rx) = unbounded_channel::<ApplyRequest>();
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            let next = Arc::new(request.workspace.access.clone());
            if let Err(e) = reshape(&request.workspace) {
                hub.notice(NoticeLevel::Error, None, format!("{e:#}"));
            }
            if let Ok(mut current) = access.write() {
                *current = next;
            }
            if supervisor.send(request).is_err() {
                break;
            }
        }
    });
    tx
}

/// The shared directory's group and mode for `ws`'s grants, when it has one.
fn reshape(ws: &Workspace) -> anyhow::Result<()> {
    let dir = crate::paths::shared_dir(&ws.dir, &ws.name);
    if ws.file.is_none() || !ws.access.declared || !is_ours(&dir)? {
        return Ok(());
    }
    let gid = grant_group(ws)?;
    set_group(&dir, gid, 0o770)?;
    let socket = dir.join("engine.sock");
    if socket.exists() {
        set_group(&socket, gid, 0o660)?;
    }
    Ok(())
}

/// The group the shared directory belongs to while `access:` grants anyone.
fn grant_group(ws: &Workspace) -> anyhow::Result<Option<nix::unistd::Gid>> {
    match (ws.access.group.as_deref()).filter(|_| ws.access.grants_anyone()) {
        Some(group) => Ok(Some(group_id(group)?)),
        None => Ok(None),
    }
}

/// The listener on the shared socket, or `None` when the workspace declares no `access:`
/// (a directory left by an earlier engine is removed then).
pub fn listen(ws: &Workspace) -> anyhow::Result<Option<(UnixListener, PathBuf)>> {
    let dir = crate::paths::shared_dir(&ws.dir, &ws.name);
    if ws.file.is_none() {
        return Ok(None);
    }
    if !ws.access.declared {
        if is_ours(&dir)? {
            let _ = std::fs::remove_file(dir.join("engine.sock"));
            let _ = std::fs::remove_dir(&dir);
        }
        return Ok(None);
    }
    if !is_ours(&dir)? {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let gid = grant_group(ws)?;
    // The directory opens to the group only after it is the group's; a socket made in it
    // under umask 077 opens to the group only inside that directory.
    set_group(&dir, gid, 0o770)?;
    let socket = dir.join("engine.sock");
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)
        .with_context(|| format!("cannot listen on {}", socket.display()))?;
    set_group(&socket, gid, 0o660)?;
    Ok(Some((listener, socket)))
}

/// `dir` exists, is a directory of ours and no symlink; an error when it is someone else's.
fn is_ours(dir: &Path) -> anyhow::Result<bool> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot use {}", dir.display())),
    };
    let uid = nix::unistd::geteuid().as_raw();
    if !meta.is_dir() || meta.uid() != uid {
        bail!(
            "refusing to use {}: not a directory of uid {uid} (remove it)",
            dir.display()
        );
    }
    Ok(true)
}

fn group_id(group: &str) -> anyhow::Result<nix::unistd::Gid> {
    match nix::unistd::Group::from_name(group) {
        Ok(Some(g)) => Ok(g.gid),
        Ok(None) => bail!("access.group: no Unix group `{group}` on this host"),
        Err(e) => bail!("access.group: cannot look up `{group}`: {e}"),
    }
}

/// With a group: owned by it, `shared` mode; without: private to the owner.
fn set_group(path: &Path, gid: Option<nix::unistd::Gid>, shared: u32) -> anyhow::Result<()> {
    let context = || format!("cannot share {}", path.display());
    let mode = match gid {
        Some(gid) => {
            nix::unistd::chown(path, None, Some(gid)).with_context(context)?;
            shared
        }
        None => shared & 0o700,
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(context)
}

//! Approvals: the pipeline's stage for this host's environment may ask for one
//! (`approve: deployer`); the built release then waits (`waiting`, stage `approval`) until
//! a deployer approves it, and goes live, or rejects it, and the release that served still
//! does. Who and when are kept in the deploy (`Deployment::approval`). Pushes the rules do
//! not send here are recorded too (`skipped`), so none is dropped silently.

use tokio::sync::oneshot;

use super::model::{Approval, DeployState, Deployment, Stage, StageRun, StageStatus};
use super::run::{Pipeline, Target};
use super::{DeployRequest, Worker};
use crate::clock::now_ms;
use crate::protocol::{CommandError, NoticeLevel, Role};

/// What a deploy needing an approval waits on.
pub struct Approver {
    /// The role that may give it: `deployer` or `admin`.
    pub role: String,
    pub decision: oneshot::Receiver<Approval>,
}

impl Pipeline {
    /// Holds `deploy` in `waiting` until it is decided: `Ok` to go on, `Err` with the deploy
    /// ended (rejected, or the engine stopping).
    pub(super) async fn approval(
        &self,
        mut deploy: Deployment,
        approver: Approver,
    ) -> Result<Deployment, Deployment> {
        let release = deploy.release.clone().unwrap_or_default();
        let role = &approver.role;
        let article = if role.starts_with('a') { "an" } else { "a" };
        let log = format!("waiting for {article} {role}'s approval of {release}\n");
        deploy.state = DeployState::Waiting;
        // Saved with its log: the first a frontend sees says whose approval it waits for.
        deploy.stages.push(StageRun {
            stage: Stage::Approval,
            status: StageStatus::Running,
            started_at: now_ms(),
            ended_at: None,
            log: log.clone(),
        });
        self.save(&mut deploy);
        let Ok(approval) = approver.decision.await else {
            deploy.state = DeployState::Running;
            let cause = "the engine stopped while it waited for an approval".to_owned();
            return Err(self.failed(deploy, &log, cause));
        };
        let word = if approval.approved {
            "approved"
        } else {
            "rejected"
        };
        let by = format!("{word} by {}", approval.by);
        deploy.approval = Some(approval.clone());
        deploy.state = DeployState::Running;
        self.end(&mut deploy, approval.approved, &format!("{log}{by}\n"));
        if approval.approved {
            return Ok(deploy);
        }
        Err(self.finish(deploy, DeployState::Rejected, Some(by)))
    }
}

impl Worker {
    /// Hands the decision to the deploy waiting for it, if the caller's role may give it.
    pub(super) fn decide(
        &mut self,
        target: &Target,
        request: &DeployRequest,
        approve: bool,
        role: Option<Role>,
    ) -> Result<Deployment, CommandError> {
        let service = &request.service;
        let snapshot = self.pipeline.hub.snapshot();
        let waiting = (snapshot.deploys.iter())
            .find(|d| d.service == *service && d.state == DeployState::Waiting);
        let (Some(deploy), Some(needed)) = (waiting, target.approve.as_deref()) else {
            let message = format!("no deploy of {service} is waiting for an approval");
            return Err(CommandError::field("service", message));
        };
        let needed = if needed == "admin" {
            Role::Admin
        } else {
            Role::Deployer
        };
        if role.is_some_and(|r| r < needed) {
            let needed = needed.name();
            let message = format!("approving a deploy of {service} needs role {needed}");
            return Err(
                CommandError::field("role", message).with_hint(format!("needs role {needed}"))
            );
        }
        let Some(decision) = self.waiting.remove(service) else {
            let message = format!("no deploy of {service} is waiting for an approval");
            return Err(CommandError::field("service", message));
        };
        let approval = Approval {
            approved: approve,
            by: request.by.clone(),
            at: now_ms(),
        };
        let _ = decision.send(approval);
        Ok(deploy.clone())
    }

    /// Records a push the rules do not deploy here, with the reason: in the history and
    /// as a notice, not as the service's latest deploy (it changed nothing).
    pub(super) fn skip(
        &self,
        request: &DeployRequest,
        trigger: &str,
        (git_ref, commit): (&str, &str),
        reason: String,
    ) -> Deployment {
        let now = now_ms();
        let mut deploy = Deployment {
            id: 0,
            service: request.service.clone(),
            trigger: trigger.to_owned(),
            by: request.by.clone(),
            git_ref: git_ref.to_owned(),
            commit: Some(commit.to_owned()),
            release: None,
            previous: None,
            state: DeployState::Skipped,
            stages: Vec::new(),
            cause: Some(reason.clone()),
            started_at: now,
            ended_at: Some(now),
            switched: false,
            colours: None,
            approval: None,
        };
        if let Ok(store) = self.pipeline.store.lock()
            && let Err(e) = store.insert(&mut deploy)
        {
            tracing::warn!(
                service = request.service,
                "cannot record a skipped push: {e}"
            );
        }
        let text = format!("{} not deployed: {reason}", request.service);
        let hub = &self.pipeline.hub;
        hub.notice(NoticeLevel::Info, Some(&request.service), text);
        deploy
    }
}

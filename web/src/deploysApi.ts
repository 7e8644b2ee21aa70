// Deploys as the API serves them (`deploy::model::Deployment`), the calls that start them,
// and a workspace's deploys kept live: the recorded history (`GET .../deploys`) with every
// `deploy` event of the stream folded in by id, so the running stage moves without polling.
import { useEffect, useState } from 'preact/hooks';
import { call, eventsUrl } from './api';
import { fold as foldServices, ServiceStatus, StreamEvent } from './services';
import { follow } from './stream';

/** States and stages are strings: ones this page does not know yet (an approval's
 * `waiting`) are shown as given. */
export interface StageRun {
  stage: string;
  status: string;
  started_at: number;
  ended_at?: number | null;
  log?: string;
}

export interface Deployment {
  id: number;
  service: string;
  trigger: string;
  by: string;
  git_ref: string;
  commit?: string | null;
  release?: string | null;
  previous?: string | null;
  state: string;
  stages: StageRun[];
  cause?: string | null;
  started_at: number;
  ended_at?: number | null;
  /** Who approved or rejected a deploy that waited at a stage with `approve:`, and when. */
  approval?: { approved: boolean; by: string; at: number } | null;
}

/** The stages a deploy goes through, for the timeline's rows not reached yet. */
export const STAGES = ['fetch', 'build', 'switch', 'gate', 'soak'];
/** Deploys of the history asked for, across the workspace's services. */
const HISTORY = 100;

function base(workspace: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}`;
}

export function deploy(workspace: string, service: string, ref: string): Promise<Deployment> {
  return call('POST', `${base(workspace)}/services/${encodeURIComponent(service)}/deploy`, ref ? { ref } : {});
}

export function rollback(workspace: string, service: string, release: string): Promise<Deployment> {
  return call('POST', `${base(workspace)}/services/${encodeURIComponent(service)}/rollback`, release ? { release } : {});
}

/** Approves (or rejects) the deploy of `service` waiting for an approval. */
export function decide(workspace: string, service: string, approve: boolean): Promise<Deployment> {
  return call('POST', `${base(workspace)}/services/${encodeURIComponent(service)}/${approve ? 'approve' : 'reject'}`, {});
}

export function history(workspace: string): Promise<Deployment[]> {
  return call('GET', `${base(workspace)}/deploys?limit=${HISTORY}`);
}

/** The stage whose log matters: the running one, else the one that failed, else the last. */
export function shownStage(d: Deployment): StageRun | undefined {
  const last = <T>(xs: T[], p: (x: T) => boolean) => [...xs].reverse().find(p);
  return last(d.stages, (s) => s.status === 'running') ?? last(d.stages, (s) => s.status === 'failed') ?? d.stages[d.stages.length - 1];
}

/** The release a rollback without one goes back to, as the engine picks it: the one the
 * current release (the newest that succeeded) replaced. */
export function rollbackTarget(deploys: Deployment[], service: string): string | null {
  return deploys.find((d) => d.service === service && d.state === 'succeeded' && d.release)?.previous ?? null;
}

/** The branch or tag `service` was last deployed from by hand. */
export function lastRef(deploys: Deployment[], service: string): string | null {
  return deploys.find((d) => d.service === service && d.trigger === 'manual')?.git_ref ?? null;
}

/** `0.4s`, `12.3s`, `3m12s`: how long a deploy or a stage took. The page's clock ticks once
 * a second, so a stage that began since reads as just begun, not negative. */
export function took(ms: number): string {
  ms = Math.max(0, ms);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const secs = Math.floor(ms / 1000);
  return `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`;
}

export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : '';
}

export interface DeploysState {
  services: ServiceStatus[];
  /** Every deploy known, newest first. */
  deploys: Deployment[];
}

/** `found` folded into `deploys` by id, newest first. A deploy already there stays when
 * `live` is false: a history answer can be older than an event that came before it. */
export function merge(deploys: Deployment[], found: Deployment[], live: boolean): Deployment[] {
  const byId = new Map(deploys.map((d) => [d.id, d]));
  for (const d of found) if (live || !byId.has(d.id)) byId.set(d.id, d);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, HISTORY);
}

const KINDS = ['snapshot', 'service', 'service_removed', 'resync', 'deploy'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fold(state: DeploysState, e: any): DeploysState {
  switch (e.event) {
    case 'snapshot':
      return { services: foldServices(state.services, e as StreamEvent), deploys: merge(state.deploys, e.deploys ?? [], true) };
    case 'service':
    case 'service_removed':
    case 'resync':
      return { ...state, services: foldServices(state.services, e as StreamEvent) };
    case 'deploy':
      return { ...state, deploys: merge(state.deploys, [e as Deployment], true) };
    default:
      return state;
  }
}

/** The workspace's services and deploys, live, and whether the stream is up. The history is
 * asked for at open and again after a resync (events were missed). */
export function useDeploys(workspace: string, onSessionInDoubt: () => void) {
  const [state, setState] = useState<DeploysState>({ services: [], deploys: [] });
  const [live, setLive] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setState({ services: [], deploys: [] });
    const load = () =>
      history(workspace)
        .then((found) => setState((s) => ({ ...s, deploys: merge(s.deploys, found, false) })))
        .catch((e) => setProblem(`deploy history: ${e.message ?? e}`));
    load();
    const apply = (e: unknown) => {
      setState((s) => fold(s, e));
      if ((e as { event: string }).event === 'resync') load();
    };
    return follow(eventsUrl(workspace), KINDS, apply, setLive, onSessionInDoubt);
  }, [workspace]);
  return { state, live, problem };
}

// One workspace as its event stream describes it, for the dashboard and the service page:
// services (`services.ts` folds them), firing alerts, the active environment, the latest
// metrics sample and the heal events since the page opened. One EventSource a workspace.
import { useEffect, useState } from 'preact/hooks';
import { eventsUrl } from './api';
import type { Alert } from './alertsApi';
import type { EnvironmentInfo } from './configApi';
import type { Deployment } from './deploysApi';
import type { Sample } from './metrics';
import { fold as foldServices, ServiceStatus, StreamEvent } from './services';

export interface HealEvent {
  at: number;
  service?: string | null;
  kind: string;
  reason: string;
  detail?: string | null;
}

export interface WorkspaceState {
  services: ServiceStatus[];
  alerts: Alert[];
  environment: string | null;
  environments: EnvironmentInfo[];
  sample: Sample | null;
  heal: HealEvent[];
  /** Each deployed service's latest deploy. */
  deploys: Deployment[];
}

const EMPTY: WorkspaceState = { services: [], alerts: [], environment: null, environments: [], sample: null, heal: [], deploys: [] };
const KINDS = ['snapshot', 'service', 'service_removed', 'resync', 'alerts', 'config', 'metrics', 'heal', 'deploy'] as const;
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** Heal events kept from the stream; older ones are the history query's. */
const HEAL_KEPT = 100;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fold(state: WorkspaceState, e: any): WorkspaceState {
  switch (e.event) {
    case 'snapshot':
      return {
        services: foldServices(state.services, e as StreamEvent),
        alerts: e.alerts ?? [],
        environment: e.environment ?? null,
        environments: e.config?.environments ?? [],
        sample: e.metrics ?? null,
        heal: state.heal,
        deploys: e.deploys ?? [],
      };
    case 'service':
    case 'service_removed':
    case 'resync':
      return { ...state, services: foldServices(state.services, e as StreamEvent) };
    case 'alerts':
      return { ...state, alerts: e.alerts };
    case 'config':
      return { ...state, environment: e.environment ?? null, environments: e.config?.environments ?? [] };
    case 'metrics':
      return { ...state, sample: e };
    case 'heal':
      return { ...state, heal: [...state.heal.slice(-(HEAL_KEPT - 1)), e] };
    case 'deploy':
      return { ...state, deploys: [...state.deploys.filter((d) => d.service !== e.service), e] };
    default:
      return state;
  }
}

/** Follows `url`'s event stream, handing each event of `kinds` to `apply` and saying whether
 * the stream is up. The browser resumes a dropped stream itself (with `Last-Event-ID`); a
 * refused one (an engine not running, a session that ended) is opened again later, after
 * `onRefused`, waiting twice as long each time up to 30 s. Answers what closes it. */
export function follow(
  url: string,
  kinds: readonly string[],
  apply: (data: unknown) => void,
  setLive: (live: boolean) => void,
  onRefused: () => void = () => undefined,
): () => void {
  let source: EventSource | null = null;
  let timer: number | undefined;
  let delay = RETRY_MS;
  const onEvent = (e: MessageEvent) => {
    apply(JSON.parse(e.data));
    setLive(true);
  };
  const open = () => {
    source = new EventSource(url);
    for (const kind of kinds) source.addEventListener(kind, onEvent);
    // Open is live, even before the first event: a quiet log stream is followed all the same.
    source.onopen = () => {
      delay = RETRY_MS;
      setLive(true);
    };
    source.onerror = () => {
      setLive(false);
      if (source?.readyState !== EventSource.CLOSED) return;
      onRefused();
      timer = window.setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    };
  };
  open();
  return () => {
    clearTimeout(timer);
    source?.close();
  };
}

/** The workspace's live state and whether its stream is up. */
export function useWorkspace(workspace: string, onSessionInDoubt: () => void): { state: WorkspaceState; live: boolean } {
  const [state, setState] = useState<WorkspaceState>(EMPTY);
  const [live, setLive] = useState(false);
  useEffect(
    () => follow(eventsUrl(workspace), KINDS, (e) => setState((current) => fold(current, e)), setLive, onSessionInDoubt),
    [workspace],
  );
  return { state, live };
}

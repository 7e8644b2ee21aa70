// A workspace's alerting and configuration state as its event stream describes them: the
// snapshot's fields, each replaced whole by the event that carries it (`Event::Alerts`,
// `Silences`, `Alerting`, `Config`), so the pages stay live without polling.
import { useEffect, useState } from 'preact/hooks';
import { eventsUrl } from './api';
import type { Alert, AlertingInfo, Silence } from './alertsApi';
import type { ConfigStatus } from './configApi';
import { follow } from './stream';

export interface LiveState {
  alerts: Alert[];
  silences: Silence[];
  alerting: AlertingInfo;
  environment: string | null;
  config: ConfigStatus;
}

const EMPTY: LiveState = {
  alerts: [],
  silences: [],
  alerting: { rules: 0, channels: [], problem: null },
  environment: null,
  config: { environments: [], revision: null, errors: [], pending: null },
};

const KINDS = ['snapshot', 'alerts', 'silences', 'alerting', 'config', 'resync'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fold(state: LiveState, e: any): LiveState {
  switch (e.event) {
    case 'snapshot':
      return {
        alerts: e.alerts ?? [],
        silences: e.silences ?? [],
        alerting: { ...EMPTY.alerting, ...e.alerting },
        environment: e.environment ?? null,
        config: { ...EMPTY.config, ...e.config },
      };
    case 'alerts':
      return { ...state, alerts: e.alerts };
    case 'silences':
      return { ...state, silences: e.silences };
    case 'alerting':
      return { ...state, alerting: { ...EMPTY.alerting, ...e } };
    case 'config':
      return { ...state, environment: e.environment ?? null, config: { ...EMPTY.config, ...e.config } };
    default:
      return state;
  }
}

/** The live state and whether the stream is up; a refused stream is opened again later. */
export function useLive(workspace: string): { state: LiveState | null; live: boolean } {
  const [state, setState] = useState<LiveState | null>(null);
  const [live, setLive] = useState(false);
  useEffect(() => follow(eventsUrl(workspace), KINDS, (e) => setState((current) => fold(current ?? EMPTY, e)), setLive), [workspace]);
  return { state, live };
}

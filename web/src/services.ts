// A workspace's services as the event stream describes them: the JSON of
// `protocol::snapshot::ServiceStatus`, folded like `Snapshot::apply` folds events.

export type State =
  | 'stopped'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'exited'
  | 'failed'
  | 'crash_looping'
  | 'gave_up';

export interface ServiceStatus {
  name: string;
  state: State;
  started_at: number | null;
  restarts: number;
  health: 'unknown' | 'healthy' | 'unhealthy' | null;
  reason: string | null;
}

export type StreamEvent =
  | { event: 'snapshot'; services: ServiceStatus[] }
  | ({ event: 'service' } & ServiceStatus)
  | { event: 'service_removed'; service: string }
  | { event: 'resync' };

/** The services after `event`, in the engine's order; unchanged rows keep their objects. */
export function fold(services: ServiceStatus[], event: StreamEvent): ServiceStatus[] {
  switch (event.event) {
    case 'snapshot':
      return event.services.map(pick);
    case 'service': {
      const status = pick(event);
      const at = services.findIndex((s) => s.name === status.name);
      if (at < 0) return [...services, status];
      const next = services.slice();
      next[at] = status;
      return next;
    }
    case 'service_removed':
      return services.filter((s) => s.name !== event.service);
    case 'resync':
      return [];
  }
}

function pick(s: ServiceStatus): ServiceStatus {
  return {
    name: s.name,
    state: s.state,
    started_at: s.started_at ?? null,
    restarts: s.restarts,
    health: s.health ?? null,
    reason: s.reason ?? null,
  };
}

/** How long it has been running, as `format::duration` words it (`45s`, `3m12s`, `2h05m`). */
export function uptime(s: ServiceStatus, now: number): string {
  if (s.state !== 'running' || s.started_at === null) return '';
  const secs = Math.max(0, Math.floor((now - s.started_at) / 1000));
  const d = Math.floor(secs / 86400);
  const h = Math.floor(secs / 3600) % 24;
  const m = Math.floor(secs / 60) % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d${two(h)}h`;
  if (h > 0) return `${h}h${two(m)}m`;
  if (m > 0) return `${m}m${two(secs % 60)}s`;
  return `${secs}s`;
}

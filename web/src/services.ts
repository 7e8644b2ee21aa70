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
  probes: ProbeStatus[];
  depends_on: string[];
  /** Services of other workspaces depending on this one (`workspace/service`). */
  needed_by: Dependent[];
  exit_code: number | null;
}

export interface Dependent {
  service: string;
  active: boolean;
}

export interface ProbeStatus {
  kind: 'readiness' | 'liveness';
  target: string;
  state: 'unknown' | 'healthy' | 'unhealthy';
  last_ok: boolean | null;
  latency_us: number | null;
  checked_at: number | null;
  output: string | null;
  failures: number;
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
    probes: s.probes ?? [],
    depends_on: s.depends_on ?? [],
    needed_by: s.needed_by ?? [],
    exit_code: s.exit_code ?? null,
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

const ACTIVE: State[] = ['starting', 'running', 'stopping'];

/** Every service that stopping `name` stops: it and those depending on it, transitively. */
function stopping(services: ServiceStatus[], name: string): Set<string> {
  const set = new Set([name]);
  for (;;) {
    const more = services.filter((s) => !set.has(s.name) && s.depends_on.some((d) => set.has(d)));
    if (more.length === 0) return set;
    for (const s of more) set.add(s.name);
  }
}

/** Active services that stopping `name` stops too: those depending on it, transitively, in
 * the engine's order (`tui::state::dependents`, which the TUI's stop warning lists). */
export function dependants(services: ServiceStatus[], name: string): string[] {
  const set = stopping(services, name);
  return services.filter((s) => s.name !== name && set.has(s.name) && ACTIVE.includes(s.state)).map((s) => s.name);
}

/** Active services of other workspaces that lose a dependency when `name` stops
 * (`protocol::links::stranded`): their engines keep them running. */
export function elsewhere(services: ServiceStatus[], name: string): string[] {
  const set = stopping(services, name);
  const found = services.filter((s) => set.has(s.name)).flatMap((s) => s.needed_by.filter((d) => d.active).map((d) => d.service));
  return [...new Set(found)];
}

/** The readiness probe's last latency (`3 ms`), what the health column shows beside it. */
export function latency(s: ServiceStatus): string {
  const us = s.probes.find((p) => p.kind === 'readiness')?.latency_us;
  if (us === null || us === undefined) return '';
  return us < 1000 ? `${us} µs` : `${(us / 1000).toFixed(us < 10_000 ? 1 : 0)} ms`;
}

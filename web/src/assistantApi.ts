// The assistant's diagnosis as the API serves it (`assist::finding`), what each suggested
// action would do (its dry run, read before anything changes) and the call that applies it.
// An action is one of the allowlist; the page never builds another.
import { ASSISTANT, call } from './api';
import type { ConfigPlan } from './configApi';
import { ServiceStatus, dependants } from './services';

export type Severity = 'critical' | 'warning' | 'info';

export interface Evidence {
  kind: string;
  text: string;
  at_ms?: number;
}

export type Suggestion =
  | { action: 'start' | 'restart' | 'stop' | 'rollback'; service: string }
  | { action: 'run_playbook'; playbook: string }
  | { action: 'silence'; matchers: string[]; for_secs: number }
  | { action: 'logs'; service?: string | null; pattern?: string | null }
  | { action: 'raise_limit'; path: string; from: string; to: string }
  | { action: 'apply_config' };

export interface Finding {
  analyzer: string;
  severity: Severity;
  rank: number;
  service?: string;
  cause: string;
  evidence: Evidence[];
  actions: Suggestion[];
  since_ms?: number;
}

export interface Diagnosis {
  at_ms: number;
  findings: Finding[];
  analyzers: string[];
}

/** What applying a suggestion will do, in the words the dialog shows. */
export interface DryRun {
  title: string;
  lines: string[];
  /** The label of the button that applies it; `null` when it cannot be applied here. */
  apply: string | null;
  /** The config edit shown (`apply_config`): applied only if it is still the pending one. */
  hash?: string;
}

function base(workspace: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}`;
}

export function diagnose(workspace: string): Promise<Diagnosis> {
  return call('GET', `${base(workspace)}/doctor`);
}

/** The action's label on its button. */
export function label(s: Suggestion): string {
  switch (s.action) {
    case 'start':
    case 'restart':
    case 'stop':
    case 'rollback':
      return `${s.action === 'rollback' ? 'roll back' : s.action} ${s.service}`;
    case 'run_playbook':
      return `run playbook ${s.playbook}`;
    case 'silence':
      return `silence ${s.matchers.join(', ')} for ${duration(s.for_secs)}`;
    case 'logs':
      return `logs${s.service ? ` of ${s.service}` : ''}${s.pattern ? ` matching ${s.pattern}` : ''}`;
    case 'raise_limit':
      return `${s.path}: ${s.from} → ${s.to}`;
    case 'apply_config':
      return 'apply the config edit';
  }
}

/** Whether it changes anything (opening the logs does not: it needs no dry run). */
export function mutates(s: Suggestion): boolean {
  return s.action !== 'logs';
}

/** The role the engine asks of the call that applies it. */
export function needs(s: Suggestion): 'operator' | 'deployer' | 'admin' {
  if (s.action === 'rollback') return 'deployer';
  if (s.action === 'run_playbook' || s.action === 'raise_limit' || s.action === 'apply_config') return 'admin';
  return 'operator';
}

export function duration(secs: number): string {
  if (secs % 3600 === 0) return `${secs / 3600}h`;
  if (secs % 60 === 0) return `${secs / 60}m`;
  return `${secs}s`;
}

/** Exactly what applying `s` does, read from the engine where it can say (a playbook's dry
 * run, the config plan) and from the services it lists otherwise. */
export async function dryRun(workspace: string, s: Suggestion, services: ServiceStatus[]): Promise<DryRun> {
  switch (s.action) {
    case 'start': {
      const wait = services.find((x) => x.name === s.service)?.depends_on ?? [];
      return { title: `Start ${s.service}?`, lines: [`starts ${s.service}`, ...wait.map((d) => `after ${d} (it depends on it)`)], apply: `Start ${s.service}` };
    }
    case 'restart':
      return {
        title: `Restart ${s.service}?`,
        lines: [`stops ${s.service} and starts it again`, 'the services that depend on it keep running'],
        apply: `Restart ${s.service}`,
      };
    case 'stop': {
      const also = dependants(services, s.service);
      return {
        title: `Stop ${s.service}?`,
        lines: [`stops ${s.service}`, ...also.map((d) => `stops ${d} too (it depends on ${s.service})`)],
        apply: also.length ? `Stop ${also.length + 1} services` : `Stop ${s.service}`,
      };
    }
    case 'rollback':
      return { title: `Roll ${s.service} back?`, lines: [`switches ${s.service} to its previous release, then runs its gate`], apply: `Roll back ${s.service}` };
    case 'run_playbook': {
      const report = await call<{ steps: { step: string; paths?: string[] }[]; freed_bytes: number }>(
        'POST',
        `${base(workspace)}/heal/playbooks/${encodeURIComponent(s.playbook)}/run?dry_run=true`,
        {},
      );
      return { title: `Run playbook ${s.playbook}?`, lines: report.steps.map((st) => st.step), apply: `Run ${s.playbook}` };
    }
    case 'silence': {
      const until = new Date(Date.now() + s.for_secs * 1000).toLocaleTimeString();
      return {
        title: 'Silence these alerts?',
        lines: [`mutes the notifications of alerts matching ${s.matchers.join(', ')}`, `for ${duration(s.for_secs)}, until ${until}`],
        apply: 'Silence',
      };
    }
    case 'apply_config': {
      const plan = await call<ConfigPlan>('GET', `${base(workspace)}/config/plan`);
      const changes = plan.changes.map((c) => `${c.service}: ${c.kind}${c.fields.length ? ` (${c.fields.join(', ')})` : ''}${c.acts ? '' : ', keeps running'}`);
      return { title: 'Apply the config edit?', lines: [...changes, ...plan.diff.split('\n').slice(0, 40)], apply: 'Apply', hash: plan.hash };
    }
    case 'raise_limit':
      return { title: `Raise ${s.path}?`, lines: [`${s.path}: ${s.from} → ${s.to}`, 'edit the workspace file, then apply it (uc config apply)'], apply: null };
    case 'logs':
      return { title: label(s), lines: [], apply: null };
  }
}

/** Applies `s` through the same calls the rest of the page makes, on the audit record as
 * done through the assistant. */
export async function apply(workspace: string, s: Suggestion, shown: DryRun): Promise<void> {
  const ws = base(workspace);
  const post = (path: string, body?: unknown) => call('POST', `${ws}${path}`, body, 'application/json', ASSISTANT);
  switch (s.action) {
    case 'start':
    case 'restart':
    case 'stop':
      await post(`/services/${encodeURIComponent(s.service)}/${s.action}`);
      return;
    case 'rollback':
      await post(`/services/${encodeURIComponent(s.service)}/rollback`, {});
      return;
    case 'run_playbook':
      await post(`/heal/playbooks/${encodeURIComponent(s.playbook)}/run`, {});
      return;
    case 'silence':
      await post('/silences', { matchers: s.matchers, for: `${s.for_secs}s`, comment: 'through the assistant' });
      return;
    case 'apply_config':
      await post('/config/apply', { hash: shown.hash ?? null });
      return;
    case 'raise_limit':
    case 'logs':
      return;
  }
}

// Alerts, silences and channels as the API serves them (`alerts::model`), and the calls
// that change them.
import { call } from './api';

export interface Alert {
  id: string;
  rule: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
  active_since: number;
  fired_at?: number | null;
  resolved_at?: number | null;
  ack?: { by: string; at: number; comment?: string | null } | null;
  silenced_by?: string | null;
}

export interface Silence {
  id: string;
  matchers: { name: string; op: string; value: string }[];
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment?: string | null;
}

export interface ChannelInfo {
  name: string;
  kind: string;
  disabled?: string | null;
  queued: number;
  last_error?: string | null;
  last_delivered_at?: number | null;
}

export interface AlertingInfo {
  rules: number;
  problem?: string | null;
  channels: ChannelInfo[];
}

function base(workspace: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}`;
}

export function ack(workspace: string, id: string, comment: string): Promise<unknown> {
  const body = comment ? { comment } : {};
  return call('POST', `${base(workspace)}/alerts/${encodeURIComponent(id)}/ack`, body);
}

export function silence(workspace: string, matchers: string[], duration: string, comment: string): Promise<unknown> {
  return call('POST', `${base(workspace)}/silences`, { matchers, for: duration, comment: comment || null });
}

export function expire(workspace: string, id: string): Promise<unknown> {
  return call('DELETE', `${base(workspace)}/silences/${encodeURIComponent(id)}`);
}

/** The matchers that silence exactly this alert's series: every label but the severity. */
export function matchersOf(alert: Alert): string[] {
  return Object.entries(alert.labels)
    .filter(([name]) => name !== 'severity')
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
}

export function matcherText(m: Silence['matchers'][number]): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/** `12s`, `4m`, `2h` ago or ahead of `now`, the way the TUI words ages. */
export function age(ms: number, now: number): string {
  const secs = Math.round(Math.abs(now - ms) / 1000);
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m`;
  if (secs < 86400) return `${Math.floor(secs / 3600)}h`;
  return `${Math.floor(secs / 86400)}d`;
}

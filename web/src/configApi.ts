// The configuration center as the API serves it (`protocol::config`), and its calls.
import { ApiError, call } from './api';

export interface EnvironmentInfo {
  name: string;
  theme?: string | null;
  confirm: boolean;
}

export interface ServiceChange {
  service: string;
  kind: string;
  fields: string[];
  acts: boolean;
}

export interface ConfigPlan {
  environment?: string | null;
  from?: string | null;
  hash: string;
  changes: ServiceChange[];
  diff: string;
  confirm: boolean;
}

export interface ConfigStatus {
  environments: EnvironmentInfo[];
  revision?: number | null;
  pending?: ConfigPlan | null;
  errors: string[];
}

export interface Revision {
  id: number;
  at: number;
  environment?: string | null;
  author: string;
  reason: string;
  hash: string;
}

function base(workspace: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}`;
}

export function planSwitch(workspace: string, env: string): Promise<ConfigPlan> {
  return call('GET', `${base(workspace)}/environments/${encodeURIComponent(env)}/plan`);
}

export function switchTo(workspace: string, env: string): Promise<unknown> {
  return call('POST', `${base(workspace)}/environments/${encodeURIComponent(env)}/switch`);
}

export function history(workspace: string): Promise<Revision[]> {
  return call('GET', `${base(workspace)}/config/history?limit=20`);
}

export function diff(workspace: string, from: number): Promise<{ diff: string }> {
  return call('GET', `${base(workspace)}/config/diff?from=${from}`);
}

export function revert(workspace: string, id: number): Promise<unknown> {
  return call('POST', `${base(workspace)}/config/revisions/${id}/revert`);
}

/** Checks a workspace file's text; answers the problems, `file:line:col: message` each. */
export async function validate(workspace: string, text: string): Promise<string[]> {
  try {
    await call('POST', `${base(workspace)}/config/validate`, text, 'application/yaml');
    return [];
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) return String(e.hint ?? e.message).split('\n');
    throw e;
  }
}

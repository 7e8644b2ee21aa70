// The page talks to `uc serve` over the REST API only. Once signed in, the session cookie
// (HttpOnly: this script never sees it) authenticates each request, and every request that
// changes something carries the session's CSRF token, which lives only in this module.

export type Role = 'viewer' | 'operator' | 'deployer' | 'admin';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, deployer: 2, admin: 3 };

export function allows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export interface Session {
  name: string;
  role: Role;
  /** The one workspace the token may reach, when it is scoped. */
  workspace: string | null;
  csrf: string | null;
}

export interface WorkspaceEntry {
  name: string;
  running: boolean;
  default: boolean;
}

/** An answer other than 2xx, worded as the API words it (`{error, hint}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

let csrf: string | null = null;

/** How the page names itself in the audit log when its assistant applies an action. */
export const ASSISTANT = 'web (assistant)';

export async function call<T>(method: string, path: string, body?: unknown, type = 'application/json', via?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (via) headers['X-UC-Via'] = via;
  if (body !== undefined) headers['Content-Type'] = type;
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    // A body in another type (a YAML file's text) goes as it is.
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : String(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, json?.error ?? response.statusText, json?.hint);
  }
  return json as T;
}

function remember(session: Session): Session {
  csrf = session.csrf;
  return session;
}

export async function signIn(token: string): Promise<Session> {
  return remember(await call<Session>('POST', '/api/v1/session', { token }));
}

/** Who the cookie says we are, or `null` when there is no session. */
export async function currentSession(): Promise<Session | null> {
  try {
    return remember(await call<Session>('GET', '/api/v1/session'));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function signOut(): Promise<void> {
  try {
    await call<null>('DELETE', '/api/v1/session');
  } finally {
    csrf = null;
  }
}

export function workspaces(): Promise<WorkspaceEntry[]> {
  return call<WorkspaceEntry[]>('GET', '/api/v1/workspaces');
}

export type Verb = 'start' | 'stop' | 'restart';

export function act(workspace: string, service: string, verb: Verb): Promise<unknown> {
  const ws = encodeURIComponent(workspace);
  const name = encodeURIComponent(service);
  return call('POST', `/api/v1/workspaces/${ws}/services/${name}/${verb}`);
}

export function eventsUrl(workspace: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}/events`;
}

// The page's places live in the URL's hash (`#/ws/dev/logs`), so a reload, a bookmark and the
// browser's back button all keep them, and `uc serve` needs no route per page.
import { useEffect, useState } from 'preact/hooks';
import type { Session, WorkspaceEntry } from './api';

export type Page = 'dashboard' | 'service' | 'logs' | 'alerts' | 'config' | 'terminal' | 'deploys' | 'assistant';

export interface Route {
  page: Page;
  /** The workspace the page is about (all pages but the dashboard). */
  ws?: string;
  /** The service (service and terminal pages; the one selected on the deploys page). */
  name?: string;
}

const PER_WORKSPACE: Page[] = ['logs', 'alerts', 'config', 'deploys', 'assistant'];
const PER_SERVICE: Page[] = ['service', 'terminal', 'deploys'];

/** The route a hash names; anything unknown is the dashboard. */
export function parse(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts[0] !== 'ws' || parts.length < 3) return { page: 'dashboard' };
  const [, ws, page, name] = parts;
  if (PER_WORKSPACE.includes(page as Page) && parts.length === 3) return { page: page as Page, ws };
  if (PER_SERVICE.includes(page as Page) && parts.length === 4) return { page: page as Page, ws, name };
  return { page: 'dashboard' };
}

/** The hash that names `route`. */
export function href(route: Route): string {
  if (route.page === 'dashboard' || !route.ws) return '#/';
  const ws = encodeURIComponent(route.ws);
  if (route.name === undefined) return `#/ws/${ws}/${route.page}`;
  return `#/ws/${ws}/${route.page}/${encodeURIComponent(route.name)}`;
}

export function go(route: Route): void {
  location.hash = href(route);
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return route;
}

/** What every page is given. */
export interface PageProps {
  session: Session;
  route: Route;
  /** The workspace the page is about: the route's, else the default one. */
  ws: string;
  workspaces: WorkspaceEntry[];
  onSessionInDoubt: () => void;
}

// The pages of part B behind hash routes (`#/ws/{ws}/alerts`, `#/ws/{ws}/config`,
// `#/ws/{ws}/terminal/{service}`), until the page's own router takes them in.
import { useEffect, useState } from 'preact/hooks';
import type { Role } from './api';
import { Alerts } from './Alerts';
import { Config } from './Config';

export type Route =
  | { page: 'alerts'; workspace: string }
  | { page: 'config'; workspace: string }
  | { page: 'terminal'; workspace: string; service: string };

export function parse(hash: string): Route | null {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] !== 'ws' || !parts[1]) return null;
  const workspace = parts[1];
  if (parts[2] === 'alerts' && parts.length === 3) return { page: 'alerts', workspace };
  if (parts[2] === 'config' && parts.length === 3) return { page: 'config', workspace };
  if (parts[2] === 'terminal' && parts[3] && parts.length === 4) return { page: 'terminal', workspace, service: parts[3] };
  return null;
}

export function useRoute(): Route | null {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function href(workspace: string, page: string): string {
  return `#/ws/${encodeURIComponent(workspace)}/${page}`;
}

export function Page({ route, role, now }: { route: Route; role: Role; now: number }) {
  return (
    <>
      <nav class="crumbs" aria-label="pages">
        <a href="#/">all workspaces</a>
      </nav>
      {route.page === 'alerts' && <Alerts workspace={route.workspace} role={role} now={now} />}
      {route.page === 'config' && <Config workspace={route.workspace} role={role} now={now} />}
    </>
  );
}

/** Links from a workspace on the dashboard to its pages. */
export function PageLinks({ workspace }: { workspace: string }) {
  return (
    <nav class="page-links" aria-label={`${workspace} pages`}>
      <a href={href(workspace, 'alerts')}>alerts</a> <a href={href(workspace, 'config')}>configuration</a>
    </nav>
  );
}

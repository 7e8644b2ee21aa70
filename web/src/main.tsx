import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, Session, signOut, workspaces, WorkspaceEntry } from './api';
import { useNow } from './hooks';
import { Page, PageProps, go, href, useRoute } from './router';
import { Alerts } from './Alerts';
import { Config } from './Config';
import { AssistantPage } from './Assistant';
import { DeploysPage } from './Deploys';
import { Help, Palette, usePageKeys, useShellKeys } from './keys';
import { ServicePage } from './Service';
import { Logs } from './Logs';
import { SignIn } from './SignIn';
import { TerminalPage } from './Terminal';
import { startTheme, useTheme } from './theme';
import { Workspace } from './Workspace';
import '@xterm/xterm/css/xterm.css';
import './style.css';

interface PageEntry {
  /** The page's name in the navigation bar; pages without one are reached from others. */
  nav?: string;
  view: (props: PageProps) => preact.JSX.Element;
}

// One entry per page: a page added here is routed (router.ts) and, with `nav`, linked.
const PAGES: Partial<Record<Page, PageEntry>> = {
  dashboard: { nav: 'Dashboard', view: Dashboard },
  service: { view: ServicePage },
  terminal: { view: TerminalPage },
  logs: { nav: 'Logs', view: ({ ws }) => <Logs key={ws} workspace={ws} /> },
  alerts: { nav: 'Alerts', view: AlertsPage },
  config: { nav: 'Configuration', view: ConfigPage },
  deploys: { nav: 'Deploys', view: (props) => <DeploysPage key={props.ws} {...props} /> },
  assistant: { nav: 'Assistant', view: (props) => <AssistantPage key={props.ws} {...props} /> },
};

function App() {
  // `undefined` while the cookie is being asked about, `null` when signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    currentSession()
      .then(setSession)
      .catch((e) => setProblem(String(e)));
  }, []);
  // A server out of reach leaves the page as it is: its streams keep trying and ask again.
  const recheck = () => {
    currentSession()
      .then(setSession)
      .catch(() => undefined);
  };

  if (problem) return <p class="problem" role="alert">{problem}</p>;
  if (session === undefined) return null;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} onSignedOut={() => setSession(null)} onSessionInDoubt={recheck} />;
}

function Shell({
  session,
  onSignedOut,
  onSessionInDoubt,
}: {
  session: Session;
  onSignedOut: () => void;
  onSessionInDoubt: () => void;
}) {
  const [list, setList] = useState<WorkspaceEntry[] | null>(null);
  const route = useRoute();
  const [theme, toggleTheme] = useTheme();
  const [overlay, setOverlay] = useState<'palette' | 'help' | null>(null);
  useShellKeys(overlay !== null, setOverlay);

  useEffect(() => {
    workspaces()
      .then(setList)
      .catch(() => onSessionInDoubt());
  }, []);

  const ws = route.ws ?? list?.find((w) => w.default)?.name ?? list?.[0]?.name ?? '';
  const entry = PAGES[route.page] ?? PAGES.dashboard!;
  return (
    <>
      <header>
        <h1>uc</h1>
        <nav aria-label="pages">
          {Object.entries(PAGES).map(([page, p]) =>
            p?.nav ? (
              <a
                key={page}
                href={href({ page: page as Page, ws })}
                aria-current={route.page === page ? 'page' : undefined}
              >
                {p.nav}
              </a>
            ) : null,
          )}
        </nav>
        <p class="who">
          <span class="name">{session.name}</span> <span class={`role ${session.role}`}>{session.role}</span>
          {session.workspace && <span class="scope"> (workspace {session.workspace} only)</span>}
        </p>
        <button type="button" data-action="keys" aria-label="keys" title="keys (?)" onClick={() => setOverlay('help')}>
          ?
        </button>
        <button type="button" data-action="theme" aria-label={`${theme === 'dark' ? 'light' : 'dark'} theme`} onClick={toggleTheme}>
          {theme === 'dark' ? 'Light' : 'Dark'}
        </button>
        <button type="button" class="sign-out" onClick={() => signOut().finally(onSignedOut)}>
          Sign out
        </button>
      </header>
      {overlay === 'help' && <Help onClose={() => setOverlay(null)} />}
      {overlay === 'palette' && list && (
        <Palette route={route} ws={ws} pages={navPages()} list={list} onClose={() => setOverlay(null)} />
      )}
      <main>
        {list && (
          <entry.view session={session} route={route} ws={ws} workspaces={list} onSessionInDoubt={onSessionInDoubt} />
        )}
      </main>
    </>
  );
}

function navPages(): [Page, string][] {
  return Object.entries(PAGES).flatMap(([page, p]) => (p?.nav ? [[page as Page, p.nav] as [Page, string]] : []));
}

interface Selected {
  ws: string;
  name: string;
}

/** The services' rows in the order shown, read off the page the keys move over. */
function rows(): Selected[] {
  return [...document.querySelectorAll<HTMLElement>('main [data-workspace] tr[data-service]')].map((tr) => ({
    ws: tr.closest<HTMLElement>('[data-workspace]')?.dataset.workspace ?? '',
    name: tr.dataset.service ?? '',
  }));
}

function Dashboard({ session, workspaces: list, onSessionInDoubt }: PageProps) {
  const now = useNow();
  const [selected, setSelected] = useState<Selected | null>(null);
  const [filter, setFilter] = useState('');
  usePageKeys((key) => {
    const all = rows();
    const at = all.findIndex((r) => r.ws === selected?.ws && r.name === selected?.name);
    if (key === 'j' || key === 'k') {
      const next = all[key === 'j' ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0)];
      if (next) setSelected(next);
      return true;
    }
    if (!selected || at < 0) return false;
    if (key === 'Enter') {
      go({ page: 'service', ws: selected.ws, name: selected.name });
      return true;
    }
    const verb = { s: 'start', x: 'stop', r: 'restart' }[key];
    if (!verb) return false;
    const row = `main [data-workspace="${CSS.escape(selected.ws)}"] tr[data-service="${CSS.escape(selected.name)}"]`;
    document.querySelector<HTMLButtonElement>(`${row} button[data-action="${verb}"]`)?.click();
    return true;
  });
  useEffect(() => {
    if (selected) document.querySelector('main tr.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  return (
    <>
      <label class="filter">
        <span class="visually-hidden">filter services</span>
        <input type="search" placeholder="filter services (/)" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      {list.length === 0 && <p>No workspace yet: run <code>uc up</code> in a directory with a univers.yaml.</p>}
      {list.map((w) => (
        <Workspace
          key={w.name}
          workspace={w}
          role={session.role}
          now={now}
          selected={selected?.ws === w.name ? selected.name : null}
          filter={filter}
          onSessionInDoubt={onSessionInDoubt}
        />
      ))}
    </>
  );
}

function AlertsPage({ session, ws }: PageProps) {
  return <Alerts workspace={ws} role={session.role} now={useNow()} />;
}

function ConfigPage({ session, ws }: PageProps) {
  return <Config workspace={ws} role={session.role} now={useNow()} />;
}

startTheme();
const root = document.getElementById('app');
if (root) render(<App />, root);

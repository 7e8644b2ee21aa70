import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, Session, signOut, workspaces, WorkspaceEntry } from './api';
import { useNow } from './hooks';
import { Page, PageProps, href, useRoute } from './router';
import { Alerts } from './Alerts';
import { Config } from './Config';
import { Logs } from './Logs';
import { SignIn } from './SignIn';
import { Workspace } from './Workspace';
import './style.css';

interface PageEntry {
  /** The page's name in the navigation bar; pages without one are reached from others. */
  nav?: string;
  view: (props: PageProps) => preact.JSX.Element;
}

// One entry per page: a page added here is routed (router.ts) and, with `nav`, linked.
const PAGES: Partial<Record<Page, PageEntry>> = {
  dashboard: { nav: 'Dashboard', view: Dashboard },
  logs: { nav: 'Logs', view: ({ ws }) => <Logs key={ws} workspace={ws} /> },
  alerts: { nav: 'Alerts', view: AlertsPage },
  config: { nav: 'Configuration', view: ConfigPage },
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
        <button type="button" class="sign-out" onClick={() => signOut().finally(onSignedOut)}>
          Sign out
        </button>
      </header>
      <main>
        {list && (
          <entry.view session={session} route={route} ws={ws} workspaces={list} onSessionInDoubt={onSessionInDoubt} />
        )}
      </main>
    </>
  );
}

function Dashboard({ session, workspaces: list, onSessionInDoubt }: PageProps) {
  const now = useNow();
  return (
    <>
      {list.length === 0 && <p>No workspace yet: run <code>uc up</code> in a directory with a univers.yaml.</p>}
      {list.map((w) => (
        <Workspace key={w.name} workspace={w} role={session.role} now={now} onSessionInDoubt={onSessionInDoubt} />
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

const root = document.getElementById('app');
if (root) render(<App />, root);

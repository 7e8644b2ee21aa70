import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, Session, signOut, workspaces, WorkspaceEntry } from './api';
import { SignIn } from './SignIn';
import { Workspace } from './Workspace';
import { Page, PageLinks, useRoute } from './pages';
import './style.css';

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
  return <Dashboard session={session} onSignedOut={() => setSession(null)} onSessionInDoubt={recheck} />;
}

function Dashboard({
  session,
  onSignedOut,
  onSessionInDoubt,
}: {
  session: Session;
  onSignedOut: () => void;
  onSessionInDoubt: () => void;
}) {
  const [list, setList] = useState<WorkspaceEntry[] | null>(null);
  const now = useNow();
  const route = useRoute();

  useEffect(() => {
    workspaces()
      .then(setList)
      .catch(() => onSessionInDoubt());
  }, []);

  return (
    <>
      <header>
        <h1>uc</h1>
        <p class="who">
          <span class="name">{session.name}</span> <span class={`role ${session.role}`}>{session.role}</span>
          {session.workspace && <span class="scope"> (workspace {session.workspace} only)</span>}
        </p>
        <button type="button" class="sign-out" onClick={() => signOut().finally(onSignedOut)}>
          Sign out
        </button>
      </header>
      <main>
        {route && <Page route={route} role={session.role} now={now} />}
        {!route && list?.length === 0 && <p>No workspace yet: run <code>uc up</code> in a directory with a univers.yaml.</p>}
        {!route &&
          list?.map((w) => (
            <div key={w.name}>
              <Workspace workspace={w} role={session.role} now={now} onSessionInDoubt={onSessionInDoubt} />
              <PageLinks workspace={w.name} />
            </div>
          ))}
      </main>
    </>
  );
}

/** The clock the uptimes are read against, once a second. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const root = document.getElementById('app');
if (root) render(<App />, root);

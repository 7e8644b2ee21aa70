import { useEffect, useState } from 'preact/hooks';
import { act, allows, ApiError, eventsUrl, Role, Verb, WorkspaceEntry } from './api';
import { fold, ServiceStatus, StreamEvent, uptime } from './services';

const KINDS = ['snapshot', 'service', 'service_removed', 'resync'] as const;
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** One workspace's services, kept live by its event stream. The browser resumes a dropped
 * stream itself (with `Last-Event-ID`); a refused one (an engine not running, a session that
 * ended) is opened again later, after asking who we are. */
export function Workspace({
  workspace,
  role,
  now,
  onSessionInDoubt,
}: {
  workspace: WorkspaceEntry;
  role: Role;
  now: number;
  onSessionInDoubt: () => void;
}) {
  const [services, setServices] = useState<ServiceStatus[]>([]);
  const [live, setLive] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let source: EventSource | null = null;
    let timer: number | undefined;
    let delay = RETRY_MS;
    const apply = (e: MessageEvent) => {
      setServices((current) => fold(current, JSON.parse(e.data) as StreamEvent));
      setLive(true);
    };
    const open = () => {
      source = new EventSource(eventsUrl(workspace.name));
      for (const kind of KINDS) source.addEventListener(kind, apply);
      source.onopen = () => {
        delay = RETRY_MS;
      };
      source.onerror = () => {
        setLive(false);
        if (source?.readyState !== EventSource.CLOSED) return;
        onSessionInDoubt();
        timer = window.setTimeout(open, delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      };
    };
    open();
    return () => {
      clearTimeout(timer);
      source?.close();
    };
  }, [workspace.name]);

  const mayAct = allows(role, 'operator');
  async function run(service: string, verb: Verb) {
    setProblem(null);
    try {
      await act(workspace.name, service, verb);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onSessionInDoubt();
      setProblem(err instanceof ApiError ? `${verb} ${service}: ${err.message}` : String(err));
    }
  }

  return (
    <section class="workspace" data-workspace={workspace.name}>
      <h2>
        {workspace.name}
        {workspace.default && <span class="badge">default</span>}
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : workspace.running ? 'connecting…' : 'not running'}</span>
      </h2>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">service</th>
            <th scope="col">state</th>
            <th scope="col">health</th>
            <th scope="col">restarts</th>
            <th scope="col">uptime</th>
            <th scope="col">
              <span class="visually-hidden">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.name} data-service={s.name}>
              <th scope="row">{s.name}</th>
              <td class={`state ${s.state}`} title={s.reason ?? undefined}>
                {s.state.replace('_', ' ')}
              </td>
              <td class={`health ${s.health ?? 'none'}`}>{s.health ?? '–'}</td>
              <td class="restarts">{s.restarts}</td>
              <td class="uptime">{uptime(s, now)}</td>
              <td class="actions">
                {(['start', 'stop', 'restart'] as const).map((verb) => (
                  <button
                    type="button"
                    data-action={verb}
                    aria-label={`${verb} ${s.name}`}
                    disabled={!mayAct}
                    title={mayAct ? undefined : `needs role operator; you are ${role}`}
                    onClick={() => run(s.name, verb)}
                  >
                    {verb}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// The service page (`#/ws/{ws}/service/{name}`): its state live, start / stop / restart with
// the dependency warning, its probes and their last outputs, its restart and heal history,
// its CPU and RSS over a window, and its log lines as they come.
import { useEffect, useState } from 'preact/hooks';
import { call } from './api';
import { age } from './alertsApi';
import { ActionButtons, useActions } from './actions';
import { ServiceCharts } from './HostCharts';
import { useNow } from './hooks';
import { usePageKeys } from './keys';
import { LogTail } from './LogTail';
import { go, href } from './router';
import type { PageProps } from './router';
import { dependants, latency, ProbeStatus, ServiceStatus, uptime } from './services';
import { HealEvent, useWorkspace } from './stream';

const HISTORY_SECS = 7 * 86400;
const HISTORY_LIMIT = 50;

export function ServicePage({ session, route, ws, onSessionInDoubt }: PageProps) {
  const name = route.name ?? '';
  const now = useNow();
  const { state, live } = useWorkspace(ws, onSessionInDoubt);
  const { run, mayAct, problem, dialog } = useActions(ws, state.services, session.role, onSessionInDoubt);
  const s = state.services.find((x) => x.name === name);
  usePageKeys((key) => {
    if (key === 't' && s) {
      go({ page: 'terminal', ws, name });
      return true;
    }
    const verb = ({ s: 'start', x: 'stop', r: 'restart' } as const)[key];
    if (!verb || !s) return false;
    run(name, verb);
    return true;
  });
  return (
    <section class="page service-page" data-service={name}>
      <h2>
        {name} <span class="hint">in {ws}</span>
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : 'connecting…'}</span>
      </h2>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {dialog}
      {live && !s && <p class="problem">No service {name} in {ws}.</p>}
      {s && (
        <>
          <Summary s={s} services={state.services} now={now} />
          <div class="actions">
            <ActionButtons service={name} mayAct={mayAct} role={session.role} run={run} />
            <a class="button" data-action="terminal" href={href({ page: 'terminal', ws, name })} aria-keyshortcuts="t">
              Terminal
            </a>
            {state.deploys.some((d) => d.service === name) && (
              <a class="button" data-action="deploys" href={href({ page: 'deploys', ws, name })}>
                Deploys
              </a>
            )}
          </div>
          <Probes probes={s.probes} now={now} />
          <History ws={ws} name={name} live={state.heal} now={now} />
          <ServiceCharts workspace={ws} service={name} sample={state.sample} />
        </>
      )}
      <LogTail ws={ws} service={name} />
    </section>
  );
}

function Summary({ s, services, now }: { s: ServiceStatus; services: ServiceStatus[]; now: number }) {
  const others = dependants(services, s.name);
  return (
    <dl class="summary">
      <dt>state</dt>
      <dd class={`state ${s.state}`}>
        {s.state.replace('_', ' ')}
        {s.reason && <span class="hint"> ({s.reason})</span>}
      </dd>
      <dt>health</dt>
      <dd class={`health ${s.health ?? 'none'}`}>
        {s.health ?? '–'} <span class="latency">{latency(s)}</span>
      </dd>
      <dt>uptime</dt>
      <dd class="uptime">{uptime(s, now) || '–'}</dd>
      <dt>restarts</dt>
      <dd class="restarts">{s.restarts}</dd>
      <dt>depends on</dt>
      <dd>{s.depends_on.join(', ') || '–'}</dd>
      <dt>needed by</dt>
      <dd class="needed-by">{others.join(', ') || '–'}</dd>
    </dl>
  );
}

function Probes({ probes, now }: { probes: ProbeStatus[]; now: number }) {
  return (
    <section aria-label="probes">
      <h3>probes</h3>
      {probes.length === 0 && <p class="hint">No probe.</p>}
      {probes.length > 0 && (
        <div class="table-box">
          <table class="probes">
            <thead>
              <tr>
                <th scope="col">kind</th>
                <th scope="col">target</th>
                <th scope="col">state</th>
                <th scope="col">last run</th>
                <th scope="col">failures</th>
                <th scope="col">output</th>
              </tr>
            </thead>
            <tbody>
              {probes.map((p) => (
                <tr key={p.kind} data-probe={p.kind}>
                  <th scope="row">{p.kind}</th>
                  <td>
                    <code>{p.target}</code>
                  </td>
                  <td class={`health ${p.state}`}>{p.state}</td>
                  <td>
                    {p.last_ok === null ? 'not yet' : p.last_ok ? 'passed' : 'failed'}
                    {p.checked_at !== null && <span class="hint"> {age(p.checked_at, now)} ago</span>}
                    {p.latency_us !== null && <span class="hint"> in {(p.latency_us / 1000).toFixed(1)} ms</span>}
                  </td>
                  <td>{p.failures}</td>
                  <td class="output">{p.output ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The heal events stored for the service, then the ones the stream brings. */
function History({ ws, name, live, now }: { ws: string; name: string; live: HealEvent[]; now: number }) {
  const [stored, setStored] = useState<HealEvent[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const q = new URLSearchParams({ service: name, since: String(HISTORY_SECS), limit: String(HISTORY_LIMIT) });
    call<HealEvent[]>('GET', `/api/v1/workspaces/${encodeURIComponent(ws)}/heal/events?${q}`)
      .then(setStored)
      .catch((e) => setProblem(String(e.message ?? e)));
  }, [ws, name]);
  const newest = stored.length ? stored[stored.length - 1].at : 0;
  const events = [...stored, ...live.filter((e) => e.service === name && e.at > newest)].reverse();
  return (
    <section aria-label="restart and heal history">
      <h3>restart and heal history</h3>
      {problem && <p class="problem">{problem}</p>}
      {events.length === 0 && <p class="hint">Nothing yet.</p>}
      <ul class="heal-history">
        {events.map((e) => (
          <li key={`${e.at}-${e.kind}-${e.reason}`} data-kind={e.kind}>
            <span class="hint">{age(e.at, now)} ago</span> <strong>{e.kind.replace('_', ' ')}</strong> {e.reason}
            {e.detail && <pre class="detail">{e.detail}</pre>}
          </li>
        ))}
      </ul>
    </section>
  );
}

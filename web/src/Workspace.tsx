// One workspace on the dashboard: its services live (state, health with the probe's
// latency, CPU and RSS sparklines, restarts, uptime), firing alerts, the active environment
// and the host's charts. Rows are keyed and memoised: an event redraws the row it changes.
import { memo } from 'preact/compat';
import { Role, Verb, WorkspaceEntry } from './api';
import { age } from './alertsApi';
import { ActionButtons, useActions } from './actions';
import { Sparkline } from './charts';
import { HostCharts } from './HostCharts';
import { bytes, pct, Series, useSeries, WINDOWS } from './metrics';
import { href } from './router';
import { latency, ServiceStatus, uptime } from './services';
import { useWorkspace, WorkspaceState } from './stream';

export function Workspace({
  workspace,
  role,
  now,
  selected,
  filter,
  onSessionInDoubt,
}: {
  workspace: WorkspaceEntry;
  role: Role;
  now: number;
  /** The service the keys act on, when it is in this workspace. */
  selected: string | null;
  filter: string;
  onSessionInDoubt: () => void;
}) {
  const ws = workspace.name;
  const { state, live } = useWorkspace(ws, onSessionInDoubt);
  const { run, mayAct, problem, dialog } = useActions(ws, state.services, role, onSessionInDoubt);
  const keys = state.services.flatMap((s) => [`service_cpu:${s.name}`, `service_rss:${s.name}`]);
  const { series } = useSeries(ws, keys, WINDOWS[0], state.sample);
  const shown = filter ? state.services.filter((s) => s.name.includes(filter)) : state.services;

  return (
    <section class="workspace" data-workspace={ws}>
      <h2>
        {ws}
        {workspace.default && <span class="badge">default</span>}
        <Environment state={state} />
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : workspace.running ? 'connecting…' : 'not running'}</span>
      </h2>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {dialog}
      <Firing state={state} now={now} />
      <div class="table-box">
        <table class="services">
          <thead>
            <tr>
              <th scope="col">service</th>
              <th scope="col">state</th>
              <th scope="col">health</th>
              <th scope="col">cpu</th>
              <th scope="col">rss</th>
              <th scope="col">restarts</th>
              <th scope="col">uptime</th>
              <th scope="col">
                <span class="visually-hidden">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <Row
                key={s.name}
                ws={ws}
                s={s}
                cpu={series.get(`service_cpu:${s.name}`)}
                rss={series.get(`service_rss:${s.name}`)}
                // Only a running service's uptime moves: the others are not redrawn each second.
                now={s.state === 'running' ? now : 0}
                selected={s.name === selected}
                mayAct={mayAct}
                role={role}
                run={run}
              />
            ))}
          </tbody>
        </table>
      </div>
      <HostCharts workspace={ws} sample={state.sample} />
    </section>
  );
}

function Environment({ state }: { state: WorkspaceState }) {
  if (!state.environment) return null;
  const guarded = state.environments.find((e) => e.name === state.environment)?.confirm ?? false;
  return <span class={`environment ${guarded ? 'guarded' : ''}`}>{state.environment}</span>;
}

function Firing({ state, now }: { state: WorkspaceState; now: number }) {
  const firing = state.alerts.filter((a) => a.state === 'firing');
  if (firing.length === 0) return null;
  return (
    <ul class="firing" aria-label="firing alerts">
      {firing.map((a) => (
        <li key={a.id} data-alert={a.rule} class={`severity ${a.severity}`}>
          <strong>{a.rule}</strong> {a.labels.service && <span>{a.labels.service}</span>}{' '}
          <span class="hint">{a.annotations.summary ?? ''} firing {age(a.fired_at ?? a.active_since, now)}</span>
        </li>
      ))}
    </ul>
  );
}

const last = (s: Series | undefined) => (s && s.length ? s[s.length - 1][1] : undefined);

const Row = memo(function Row({
  ws,
  s,
  cpu,
  rss,
  now,
  selected,
  mayAct,
  role,
  run,
}: {
  ws: string;
  s: ServiceStatus;
  cpu: Series | undefined;
  rss: Series | undefined;
  now: number;
  selected: boolean;
  mayAct: boolean;
  role: Role;
  run: (service: string, verb: Verb) => void;
}) {
  const active = s.state === 'running' || s.state === 'starting' || s.state === 'stopping';
  const cpuNow = active ? last(cpu) : undefined;
  const rssNow = active ? last(rss) : undefined;
  return (
    <tr data-service={s.name} class={selected ? 'selected' : undefined} aria-current={selected ? 'true' : undefined}>
      <th scope="row">
        <a href={href({ page: 'service', ws, name: s.name })}>{s.name}</a>
      </th>
      <td class={`state ${s.state}`} title={s.reason ?? undefined}>
        {s.state.replace('_', ' ')}
      </td>
      <td class={`health ${s.health ?? 'none'}`}>
        {s.health ?? '–'} <span class="latency">{latency(s)}</span>
      </td>
      <td class="cpu">
        <Sparkline series={active ? cpu : undefined} floor={1} label={`cpu of ${s.name}: ${cpuNow === undefined ? 'none' : pct(cpuNow)}`} />
        <span class="now">{cpuNow === undefined ? '' : pct(cpuNow)}</span>
      </td>
      <td class="rss">
        <Sparkline series={active ? rss : undefined} floor={1024 * 1024} label={`rss of ${s.name}: ${rssNow === undefined ? 'none' : bytes(rssNow)}`} />
        <span class="now">{rssNow === undefined ? '' : bytes(rssNow)}</span>
      </td>
      <td class="restarts">{s.restarts}</td>
      <td class="uptime">{uptime(s, now)}</td>
      <td class="actions">
        <ActionButtons service={s.name} mayAct={mayAct} role={role} run={run} />
      </td>
    </tr>
  );
});

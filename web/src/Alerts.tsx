import { useState } from 'preact/hooks';
import { allows, ApiError, Role } from './api';
import { ack, age, Alert, AlertingInfo, expire, matchersOf, matcherText, silence, Silence } from './alertsApi';
import { useLive } from './live';

interface Draft {
  matchers: string;
  duration: string;
  comment: string;
}

const BLANK: Draft = { matchers: '', duration: '2h', comment: '' };

/** The alerts page (`#/ws/{ws}/alerts`): alerts by state, ack, a silence form prefilled from
 * an alert, the silences with expire, and how each notification channel is doing. */
export function Alerts({ workspace, role, now }: { workspace: string; role: Role; now: number }) {
  const { state, live } = useLive(workspace);
  const [draft, setDraft] = useState<Draft>(BLANK);
  const [problem, setProblem] = useState<string | null>(null);
  const mayAct = allows(role, 'operator');

  async function run(what: string, action: () => Promise<unknown>): Promise<boolean> {
    setProblem(null);
    try {
      await action();
      return true;
    } catch (err) {
      setProblem(`${what}: ${err instanceof ApiError ? [err.message, err.hint].filter(Boolean).join(' — ') : err}`);
      return false;
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    const matchers = draft.matchers.split('\n').map((m) => m.trim()).filter(Boolean);
    if (await run('silence', () => silence(workspace, matchers, draft.duration, draft.comment))) setDraft(BLANK);
  }

  const prefill = (alert: Alert) => {
    setDraft({ matchers: matchersOf(alert).join('\n'), duration: '2h', comment: '' });
    document.getElementById('silence-matchers')?.focus();
  };

  return (
    <section class="page alerts" aria-labelledby="alerts-title">
      <h2 id="alerts-title">
        Alerts <span class="scope">{workspace}</span>
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : 'connecting…'}</span>
      </h2>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {state?.alerting.problem && <p class="problem">{state.alerting.problem}</p>}
      {(['firing', 'pending', 'resolved'] as const).map((kind) => (
        <AlertTable
          key={kind}
          kind={kind}
          alerts={(state?.alerts ?? []).filter((a) => a.state === kind)}
          now={now}
          mayAct={mayAct}
          role={role}
          onAck={(a) => run(`ack ${a.rule}`, () => ack(workspace, a.id, ''))}
          onSilence={prefill}
        />
      ))}
      <h3>Silence</h3>
      <form class="silence-form" onSubmit={submit}>
        <label for="silence-matchers">Matchers, one per line</label>
        <textarea
          id="silence-matchers"
          rows={3}
          value={draft.matchers}
          onInput={(e) => setDraft({ ...draft, matchers: e.currentTarget.value })}
          placeholder='service="api"'
        />
        <label for="silence-duration">For</label>
        <input
          id="silence-duration"
          value={draft.duration}
          onInput={(e) => setDraft({ ...draft, duration: e.currentTarget.value })}
        />
        <label for="silence-comment">Comment</label>
        <input
          id="silence-comment"
          value={draft.comment}
          onInput={(e) => setDraft({ ...draft, comment: e.currentTarget.value })}
        />
        <button type="submit" disabled={!mayAct} title={mayAct ? undefined : `needs role operator; you are ${role}`}>
          Create silence
        </button>
      </form>
      <Silences
        silences={state?.silences ?? []}
        now={now}
        mayAct={mayAct}
        onExpire={(s) => run(`expire ${s.id}`, () => expire(workspace, s.id))}
      />
      <Channels alerting={state?.alerting} now={now} />
    </section>
  );
}

function AlertTable(props: {
  kind: Alert['state'];
  alerts: Alert[];
  now: number;
  mayAct: boolean;
  role: Role;
  onAck: (a: Alert) => void;
  onSilence: (a: Alert) => void;
}) {
  const { kind, alerts, now, mayAct, role } = props;
  const why = mayAct ? undefined : `needs role operator; you are ${role}`;
  return (
    <>
      <h3>
        {kind} <span class="count">{alerts.length}</span>
      </h3>
      {alerts.length > 0 && (
        <table class={`alert-list ${kind}`}>
          <thead>
            <tr>
              <th scope="col">rule</th>
              <th scope="col">severity</th>
              <th scope="col">labels</th>
              <th scope="col">summary</th>
              <th scope="col">since</th>
              <th scope="col">ack</th>
              <th scope="col">
                <span class="visually-hidden">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} data-alert={a.id} data-rule={a.rule}>
                <th scope="row">{a.rule}</th>
                <td class={`severity ${a.severity}`}>{a.severity}</td>
                <td class="labels">{matchersOf(a).filter((m) => !m.startsWith('alertname=')).join(' ')}</td>
                <td>{a.annotations.summary ?? ''}</td>
                <td>{age(a.fired_at ?? a.active_since, now)}</td>
                <td class="acked">
                  {a.ack ? `✓ ${a.ack.by}` : ''}
                  {a.silenced_by ? ` silenced` : ''}
                </td>
                <td class="actions">
                  {kind !== 'resolved' && (
                    <button type="button" data-action="ack" aria-label={`ack ${a.rule}`} disabled={!mayAct || !!a.ack} title={why} onClick={() => props.onAck(a)}>
                      ack
                    </button>
                  )}
                  <button type="button" data-action="silence" aria-label={`silence ${a.rule}`} disabled={!mayAct} title={why} onClick={() => props.onSilence(a)}>
                    silence…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Silences({ silences, now, mayAct, onExpire }: { silences: Silence[]; now: number; mayAct: boolean; onExpire: (s: Silence) => void }) {
  return (
    <>
      <h3>
        Silences <span class="count">{silences.length}</span>
      </h3>
      {silences.length > 0 && (
        <table class="silence-list">
          <thead>
            <tr>
              <th scope="col">id</th>
              <th scope="col">matchers</th>
              <th scope="col">ends in</th>
              <th scope="col">by</th>
              <th scope="col">comment</th>
              <th scope="col">
                <span class="visually-hidden">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {silences.map((s) => (
              <tr key={s.id} data-silence={s.id}>
                <th scope="row">{s.id}</th>
                <td class="matchers">{s.matchers.map(matcherText).join(' ')}</td>
                <td>{age(s.ends_at, now)}</td>
                <td>{s.created_by}</td>
                <td>{s.comment ?? ''}</td>
                <td class="actions">
                  <button type="button" data-action="expire" aria-label={`expire silence ${s.id}`} disabled={!mayAct} onClick={() => onExpire(s)}>
                    expire
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Channels({ alerting, now }: { alerting?: AlertingInfo; now: number }) {
  const channels = alerting?.channels ?? [];
  return (
    <>
      <h3>Channels</h3>
      {channels.length === 0 && <p>No notification channel configured.</p>}
      {channels.length > 0 && (
        <table class="channel-list">
          <thead>
            <tr>
              <th scope="col">channel</th>
              <th scope="col">kind</th>
              <th scope="col">health</th>
              <th scope="col">queued</th>
              <th scope="col">last delivered</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((c) => {
              const health = c.disabled ? 'disabled' : c.last_error ? 'failing' : 'ok';
              return (
                <tr key={c.name} data-channel={c.name}>
                  <th scope="row">{c.name}</th>
                  <td>{c.kind}</td>
                  <td class={`channel-health ${health}`} title={c.disabled ?? c.last_error ?? undefined}>
                    {health}
                    {(c.disabled ?? c.last_error) && <span class="detail">: {c.disabled ?? c.last_error}</span>}
                  </td>
                  <td>{c.queued}</td>
                  <td>{c.last_delivered_at ? `${age(c.last_delivered_at, now)} ago` : 'never'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

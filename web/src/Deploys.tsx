// The deploys page (`#/ws/{ws}/deploys[/{service}]`): each service's latest deploy; the
// selected one's timeline (each stage ✓/✗/running with its time, the running one moving live
// from the event stream), the log of a stage, the failure or rollback cause; its earlier
// deploys, each expandable. Deploy… and Rollback… ask first, naming the service and the
// branch or release; a deploy waiting at a pipeline stage with `approve:` gets Approve… and
// Reject…; below `deployer` they are disabled and say so.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { allows, ApiError, Role } from './api';
import { age } from './alertsApi';
import { decide, deploy, Deployment, lastRef, merge, rollback, rollbackTarget, shortCommit, shownStage, StageRun, STAGES, took, useDeploys } from './deploysApi';
import { useNow } from './hooks';
import { usePageKeys } from './keys';
import { href } from './router';
import type { PageProps } from './router';

type Asking = { kind: 'deploy' | 'rollback' | 'approve' | 'reject'; service: string };

const KEYS: Record<string, Asking['kind']> = { D: 'deploy', R: 'rollback', A: 'approve', X: 'reject' };

export function DeploysPage({ session, route, ws, onSessionInDoubt }: PageProps) {
  const now = useNow();
  const { state, live, problem: loadProblem } = useDeploys(ws, onSessionInDoubt);
  const [picked, setPicked] = useState<string | null>(route.name ?? null);
  const [asking, setAsking] = useState<Asking | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [started, setStarted] = useState<Deployment[]>([]);
  useEffect(() => setPicked(route.name ?? null), [route.name]);

  const deploys = merge(state.deploys, started, false);
  const latest = (name: string) => deploys.find((d) => d.service === name);
  // Services deployed at least once first, each group in the engine's order.
  const names = state.services.map((s) => s.name);
  const rows = [...names.filter((n) => latest(n)), ...names.filter((n) => !latest(n))];
  const selected = picked && rows.includes(picked) ? picked : rows[0];
  const mayAct = allows(session.role, 'deployer');

  usePageKeys((key) => {
    const at = rows.indexOf(selected ?? '');
    if (key === 'j' || key === 'k') {
      const next = rows[key === 'j' ? Math.min(at + 1, rows.length - 1) : Math.max(at - 1, 0)];
      if (next) setPicked(next);
      return true;
    }
    const kind = KEYS[key];
    const decides = kind === 'approve' || kind === 'reject';
    if (kind && selected && mayAct && (!decides || latest(selected)?.state === 'waiting')) {
      setAsking({ kind, service: selected });
      return true;
    }
    return false;
  });

  useEffect(() => {
    document.querySelector('table.deploy-list tr.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const confirm = async (ask: Asking, value: string) => {
    setAsking(null);
    setProblem(null);
    try {
      const begun = await act(ws, ask, value);
      setStarted((s) => [begun, ...s]);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onSessionInDoubt();
      const words = err instanceof ApiError ? [err.message, err.hint].filter(Boolean).join(' — ') : String(err);
      setProblem(`${ask.kind} ${ask.service}: ${words}`);
    }
  };

  return (
    <section class="page deploys-page" aria-labelledby="deploys-title">
      <h2 id="deploys-title">
        Deploys <span class="scope">{ws}</span>
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : 'connecting…'}</span>
      </h2>
      {(problem ?? loadProblem) && (
        <p class="problem" role="alert">
          {problem ?? loadProblem}
        </p>
      )}
      {live && rows.length === 0 && <p class="hint">No services in {ws}.</p>}
      {rows.length > 0 && <List ws={ws} rows={rows} latest={latest} selected={selected} now={now} />}
      {selected && (
        <Detail
          service={selected}
          deploys={deploys.filter((d) => d.service === selected)}
          now={now}
          mayAct={mayAct}
          role={session.role}
          onAsk={(kind) => setAsking({ kind, service: selected })}
        />
      )}
      {asking && <Ask asking={asking} deploys={deploys} onConfirm={(v) => confirm(asking, v)} onCancel={() => setAsking(null)} />}
    </section>
  );
}

function act(ws: string, ask: Asking, value: string): Promise<Deployment> {
  switch (ask.kind) {
    case 'deploy':
      return deploy(ws, ask.service, value);
    case 'rollback':
      return rollback(ws, ask.service, value);
    default:
      return decide(ws, ask.service, ask.kind === 'approve');
  }
}

function List(props: { ws: string; rows: string[]; latest: (n: string) => Deployment | undefined; selected?: string; now: number }) {
  const { ws, rows, latest, selected, now } = props;
  return (
    <div class="table-box">
      <table class="deploy-list">
        <thead>
          <tr>
            <th scope="col">service</th>
            <th scope="col">state</th>
            <th scope="col">commit</th>
            <th scope="col">ref</th>
            <th scope="col">trigger</th>
            <th scope="col">started</th>
            <th scope="col">took</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((name) => {
            const d = latest(name);
            const current = name === selected;
            return (
              <tr key={name} data-service={name} class={current ? 'selected' : undefined} aria-current={current ? 'true' : undefined}>
                <th scope="row">
                  <a href={href({ page: 'deploys', ws, name })}>{name}</a>
                </th>
                {d ? (
                  <>
                    <td class={`deploy-state ${d.state}`}>{label(d.state)}</td>
                    <td>
                      <code>{shortCommit(d.commit)}</code>
                    </td>
                    <td>{d.git_ref}</td>
                    <td>
                      {d.trigger} by {d.by}
                    </td>
                    <td>{age(d.started_at, now)} ago</td>
                    <td>{took((d.ended_at ?? now) - d.started_at)}</td>
                  </>
                ) : (
                  <td colSpan={6} class="hint">
                    never deployed
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Detail(props: { service: string; deploys: Deployment[]; now: number; mayAct: boolean; role: Role; onAsk: (kind: Asking['kind']) => void }) {
  const { service, deploys, now, mayAct, role, onAsk } = props;
  const [latest, ...earlier] = deploys;
  const why = mayAct ? undefined : `needs role deployer; you are ${role}`;
  return (
    <section class="deploy-detail" data-service={service} aria-labelledby="deploy-detail-title">
      <h3 id="deploy-detail-title">{service}</h3>
      <div class="actions">
        <button type="button" data-action="deploy" disabled={!mayAct} title={why} aria-keyshortcuts="Shift+D" onClick={() => onAsk('deploy')}>
          Deploy…
        </button>
        <button type="button" data-action="rollback" disabled={!mayAct} title={why} aria-keyshortcuts="Shift+R" onClick={() => onAsk('rollback')}>
          Rollback…
        </button>
        {latest?.state === 'waiting' && (
          <>
            <button type="button" data-action="approve" disabled={!mayAct} title={why} aria-keyshortcuts="Shift+A" onClick={() => onAsk('approve')}>
              Approve…
            </button>
            <button type="button" data-action="reject" disabled={!mayAct} title={why} aria-keyshortcuts="Shift+X" onClick={() => onAsk('reject')}>
              Reject…
            </button>
          </>
        )}
        {!mayAct && <span class="hint role-needed">{why}</span>}
      </div>
      {latest ? <Deploy d={latest} now={now} /> : <p class="hint">Never deployed: Deploy… deploys it from its branch.</p>}
      {earlier.length > 0 && (
        <>
          <h4>earlier deploys</h4>
          <ul class="earlier">
            {earlier.map((d) => (
              <li key={d.id} data-deploy={d.id}>
                <details>
                  <summary>
                    <Headline d={d} now={now} />
                  </summary>
                  <Deploy d={d} now={now} folded />
                </details>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function label(state: string): string {
  return state.replace(/_/g, ' ');
}

function Headline({ d, now }: { d: Deployment; now: number }) {
  return (
    <span class="headline">
      <span class="hint">#{d.id}</span> <span class={`deploy-state ${d.state}`}>{label(d.state)}</span> · {d.git_ref}
      {d.commit && (
        <>
          {' '}
          @ <code>{shortCommit(d.commit)}</code>
        </>
      )}{' '}
      · {d.trigger} by {d.by} · {age(d.started_at, now)} ago · took {took((d.ended_at ?? now) - d.started_at)}
    </span>
  );
}

/** One deploy: its headline (unless `folded`, under a summary that shows it), its timeline,
 * the cause and the chosen stage's log. */
function Deploy({ d, now, folded = false }: { d: Deployment; now: number; folded?: boolean }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const stage = d.stages.find((s) => s.stage === chosen) ?? shownStage(d);
  return (
    <div class="deploy" data-deploy={d.id} data-state={d.state}>
      {!folded && (
        <p>
          <Headline d={d} now={now} />
        </p>
      )}
      {d.release && (
        <p class="hint">
          release <code>{d.release}</code>
          {d.previous && (
            <>
              {' '}
              (replacing <code>{d.previous}</code>)
            </>
          )}
        </p>
      )}
      <Timeline d={d} now={now} chosen={stage?.stage} onChoose={setChosen} />
      {d.approval && (
        <p class="approval" data-approved={String(d.approval.approved)}>
          {d.approval.approved ? 'approved' : 'rejected'} by {d.approval.by} {age(d.approval.at, now)} ago
        </p>
      )}
      {d.cause && (
        <p class="cause" role="status">
          <strong>{d.state === 'rolled_back' ? 'rolled back: ' : 'cause: '}</strong>
          {d.cause}
        </p>
      )}
      {stage && <StageLog stage={stage} />}
    </div>
  );
}

const MARKS: Record<string, string> = { running: '▶', passed: '✓', failed: '✗' };

function Timeline({ d, now, chosen, onChoose }: { d: Deployment; now: number; chosen?: string; onChoose: (stage: string) => void }) {
  // Stages not reached yet: those after the last one reached, while the deploy runs.
  const reached = Math.max(-1, ...d.stages.map((s) => STAGES.indexOf(s.stage)));
  const pending = d.state === 'running' ? STAGES.slice(reached + 1) : [];
  return (
    <ol class="timeline" aria-label={`stages of deploy ${d.id}`}>
      {d.stages.map((s: StageRun) => (
        <li key={s.stage} data-stage={s.stage} data-status={s.status} class={`stage ${s.status}`}>
          <button type="button" aria-pressed={s.stage === chosen} title="show its log" onClick={() => onChoose(s.stage)}>
            <span class="mark" aria-hidden="true">
              {MARKS[s.status] ?? '•'}
            </span>
            <span class="name">{s.stage}</span>
            <span class="status">{label(s.status)}</span>
            <span class="took">{took((s.ended_at ?? now) - s.started_at)}</span>
          </button>
        </li>
      ))}
      {pending.map((stage) => (
        <li key={stage} data-stage={stage} data-status="pending" class="stage pending">
          <span class="mark" aria-hidden="true">
            ·
          </span>
          <span class="name">{stage}</span>
          <span class="status">pending</span>
        </li>
      ))}
    </ol>
  );
}

function StageLog({ stage }: { stage: StageRun }) {
  const box = useRef<HTMLPreElement>(null);
  // The newest lines in view as they come, like a terminal.
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [stage.log]);
  return (
    <div class="stage-log">
      <h4>log · {stage.stage}</h4>
      <pre ref={box} tabIndex={0} role="log" aria-label={`log of the ${stage.stage} stage`}>
        {stage.log || 'no output'}
      </pre>
    </div>
  );
}

/** The confirmation: a ref (deploy) or a release (rollback), optional, and what it will do
 * in words that name the service and the branch or release; an approval names the deploy
 * and the release it would make live. */
function Ask(props: { asking: Asking; deploys: Deployment[]; onConfirm: (value: string) => void; onCancel: () => void }) {
  const { kind } = props.asking;
  return kind === 'approve' || kind === 'reject' ? <Decide {...props} /> : <AskRef {...props} />;
}

function useEscape(onCancel: () => void) {
  useLayoutEffect(() => {
    const escape = (e: KeyboardEvent) => e.key === 'Escape' && onCancel();
    window.addEventListener('keydown', escape);
    return () => window.removeEventListener('keydown', escape);
  }, []);
}

function Decide({ asking, deploys, onConfirm, onCancel }: { asking: Asking; deploys: Deployment[]; onConfirm: (value: string) => void; onCancel: () => void }) {
  const { kind, service } = asking;
  const approve = kind === 'approve';
  const waiting = deploys.find((d) => d.service === service && d.state === 'waiting');
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEscape(onCancel);
  useLayoutEffect(() => confirmButton.current?.focus(), []);
  const release = waiting?.release ?? waiting?.commit ?? waiting?.git_ref ?? '';
  return (
    <div class="overlay">
      <div class="dialog deploy-ask" role="alertdialog" aria-modal="true" aria-labelledby="ask-title" aria-describedby="ask-what" data-kind={kind}>
        <h2 id="ask-title">{`${approve ? 'Approve' : 'Reject'} deploy ${waiting?.id ?? ''} of ${service}?`}</h2>
        <p id="ask-what">
          {approve ? 'Makes ' : 'Ends deploy of '}
          <strong class="ask-target">{release}</strong>
          {approve ? ' live for ' : ' for '}
          <strong class="ask-service">{service}</strong>
          {approve ? ': switch, gate and soak; a failure rolls back.' : '; the release serving now stays.'}
        </p>
        <div class="buttons">
          <button type="button" ref={confirmButton} class="danger" data-action={`confirm-${kind}`} onClick={() => onConfirm('')}>
            {approve ? `Approve ${service}` : `Reject ${service}`}
          </button>
          <button type="button" data-action="cancel" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}

function AskRef({ asking, deploys, onConfirm, onCancel }: { asking: Asking; deploys: Deployment[]; onConfirm: (value: string) => void; onCancel: () => void }) {
  const { kind, service } = asking;
  const [value, setValue] = useState('');
  const field = useRef<HTMLInputElement>(null);
  useEscape(onCancel);
  useLayoutEffect(() => field.current?.focus(), []);
  const last = lastRef(deploys, service);
  const back = rollbackTarget(deploys, service);
  const releases = [...new Set(deploys.filter((d) => d.service === service && d.release).map((d) => d.release as string))];
  const what =
    kind === 'deploy'
      ? value.trim() || `its deploy's branch${last ? ` (last deployed: ${last})` : ''}`
      : value.trim() || (back ? `${back} (the release before the current)` : 'the release before the current');
  return (
    <div class="overlay">
      <div class="dialog deploy-ask" role="alertdialog" aria-modal="true" aria-labelledby="ask-title" aria-describedby="ask-what" data-kind={kind}>
        <h2 id="ask-title">{kind === 'deploy' ? `Deploy ${service}?` : `Roll ${service} back?`}</h2>
        <p id="ask-what">
          {kind === 'deploy' ? 'Deploys ' : 'Rolls '}
          <strong class="ask-service">{service}</strong>
          {kind === 'deploy' ? ' from ' : ' back to '}
          <strong class="ask-target">{what}</strong>
          {kind === 'deploy' ? ': fetch, build, switch, gate and soak; a failure rolls back.' : ', which serves again.'}
        </p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onConfirm(value.trim());
          }}
        >
          <label for="ask-value">{kind === 'deploy' ? 'Branch, tag or commit (optional)' : 'Release (optional)'}</label>
          <input
            id="ask-value"
            ref={field}
            autocomplete="off"
            list={kind === 'rollback' ? 'ask-releases' : undefined}
            placeholder={kind === 'deploy' ? (last ?? 'main') : (back ?? '')}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
          {kind === 'rollback' && (
            <datalist id="ask-releases">
              {releases.map((r) => (
                <option key={r} value={r} />
              ))}
            </datalist>
          )}
          <div class="buttons">
            <button type="submit" class="danger" data-action={`confirm-${kind}`}>
              {kind === 'deploy' ? `Deploy ${service}` : `Roll ${service} back`}
            </button>
            <button type="button" data-action="cancel" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { allows, ApiError, Role } from './api';
import { age } from './alertsApi';
import { ConfigPlan, diff, history, planSwitch, revert, Revision, switchTo, validate } from './configApi';
import { useLive } from './live';

function words(err: unknown): string {
  return err instanceof ApiError ? [err.message, err.hint].filter(Boolean).join(' — ') : String(err);
}

/** The configuration page (`#/ws/{ws}/config`): environments with the switch preview and,
 * for those that ask for it (prod), the name typed to confirm; revisions with their diffs
 * and revert; a file's text checked with its problems at file:line:col. */
export function Config({ workspace, role, now }: { workspace: string; role: Role; now: number }) {
  const { state, live } = useLive(workspace);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (what: string, action: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await action();
    } catch (err) {
      setProblem(`${what}: ${words(err)}`);
    }
  };
  return (
    <section class="page config" aria-labelledby="config-title">
      <h2 id="config-title">
        Configuration <span class="scope">{workspace}</span>
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : 'connecting…'}</span>
      </h2>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {(state?.config.errors.length ?? 0) > 0 && <Problems title="The files on disk do not load" lines={state?.config.errors ?? []} />}
      <Environments workspace={workspace} role={role} active={state?.environment ?? null} names={state?.config.environments ?? []} run={run} />
      <Revisions workspace={workspace} role={role} now={now} applied={state?.config.revision ?? null} run={run} />
      <Validate workspace={workspace} />
    </section>
  );
}

type Run = (what: string, action: () => Promise<unknown>) => Promise<void>;

function Environments(props: { workspace: string; role: Role; active: string | null; names: { name: string; confirm: boolean }[]; run: Run }) {
  const { workspace, role, active, names, run } = props;
  const [plan, setPlan] = useState<ConfigPlan | null>(null);
  const [typed, setTyped] = useState('');
  const mayAct = allows(role, 'deployer');
  const target = plan?.environment ?? '';
  const confirmed = !plan?.confirm || typed === target;
  const preview = (name: string) => run(`plan ${name}`, async () => {
    setTyped('');
    setPlan(await planSwitch(workspace, name));
  });
  const go = () => run(`switch to ${target}`, async () => {
    await switchTo(workspace, target);
    setPlan(null);
  });
  return (
    <>
      <h3>Environments</h3>
      {names.length === 0 && <p>This workspace declares no environment.</p>}
      <ul class="environments">
        {names.map((e) => (
          <li key={e.name} data-environment={e.name} class={e.name === active ? 'active' : undefined}>
            <span class={`env-name ${e.confirm ? 'guarded' : ''}`}>{e.name}</span>
            {e.name === active ? (
              <span class="badge">active</span>
            ) : (
              <button type="button" data-action="preview" onClick={() => preview(e.name)}>
                switch to {e.name}…
              </button>
            )}
          </li>
        ))}
      </ul>
      {plan && (
        <div class="switch-plan" data-target={target} role="region" aria-label={`switching to ${target}`}>
          <p>
            Switching <strong>{plan.from ?? '–'}</strong> → <strong>{target}</strong>:{' '}
            {plan.changes.filter((c) => c.acts).length === 0 ? 'nothing restarts.' : 'these services act:'}
          </p>
          <ul class="changes">
            {plan.changes.map((c) => (
              <li key={c.service}>
                {c.service}: {c.kind}
                {c.acts ? ' (restarts)' : ''} {c.fields.join(', ')}
              </li>
            ))}
          </ul>
          {plan.diff && <pre class="diff">{plan.diff}</pre>}
          {plan.confirm && (
            <p>
              <label for="confirm-name">Type {target} to confirm</label>{' '}
              <input id="confirm-name" autocomplete="off" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
            </p>
          )}
          <button type="button" data-action="switch" disabled={!mayAct || !confirmed} title={mayAct ? undefined : `needs role deployer; you are ${role}`} onClick={go}>
            Switch to {target}
          </button>{' '}
          <button type="button" onClick={() => setPlan(null)}>
            Cancel
          </button>
        </div>
      )}
    </>
  );
}

function Revisions(props: { workspace: string; role: Role; now: number; applied: number | null; run: Run }) {
  const { workspace, role, now, applied, run } = props;
  const [list, setList] = useState<Revision[]>([]);
  const [shown, setShown] = useState<{ id: number; diff: string } | null>(null);
  const mayRevert = allows(role, 'admin');
  useEffect(() => {
    history(workspace).then(setList).catch(() => setList([]));
  }, [workspace, applied]);
  return (
    <>
      <h3>Revisions</h3>
      <table class="revisions">
        <thead>
          <tr>
            <th scope="col">revision</th>
            <th scope="col">environment</th>
            <th scope="col">why</th>
            <th scope="col">by</th>
            <th scope="col">when</th>
            <th scope="col">
              <span class="visually-hidden">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.id} data-revision={r.id}>
              <th scope="row">
                {r.id}
                {r.id === applied && <span class="badge">applied</span>}
              </th>
              <td>{r.environment ?? '–'}</td>
              <td>{r.reason}</td>
              <td>{r.author}</td>
              <td>{age(r.at, now)} ago</td>
              <td class="actions">
                <button type="button" aria-label={`diff of revision ${r.id} against the applied one`} onClick={() => run(`diff ${r.id}`, async () => setShown({ id: r.id, diff: (await diff(workspace, r.id)).diff }))}>
                  diff
                </button>
                <button type="button" aria-label={`revert to revision ${r.id}`} disabled={!mayRevert || r.id === applied} title={mayRevert ? undefined : `needs role admin; you are ${role}`} onClick={() => run(`revert ${r.id}`, () => revert(workspace, r.id))}>
                  revert
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown && (
        <div class="revision-diff" role="region" aria-label={`diff of revision ${shown.id}`}>
          <p>Revision {shown.id} → applied:</p>
          <pre class="diff">{shown.diff || 'no difference'}</pre>
        </div>
      )}
    </>
  );
}

function Validate({ workspace }: { workspace: string }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<string[] | null>(null);
  const check = async (e: Event) => {
    e.preventDefault();
    try {
      setResult(await validate(workspace, text));
    } catch (err) {
      setResult([words(err)]);
    }
  };
  return (
    <>
      <h3>Check a workspace file</h3>
      <form class="validate-form" onSubmit={check}>
        <label for="config-text">univers.yaml text</label>
        <textarea id="config-text" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">Validate</button>
      </form>
      {result && (result.length === 0 ? <p class="valid">It loads.</p> : <Problems title="It does not load" lines={result} />)}
    </>
  );
}

function Problems({ title, lines }: { title: string; lines: string[] }) {
  return (
    <div class="problems" role="alert">
      <p>{title}:</p>
      <ul>
        {lines.map((l) => (
          <li key={l}>
            <code>{l}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

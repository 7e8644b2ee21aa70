// The assistant page (`#/ws/{ws}/assistant`): `uc doctor`'s findings, most important first,
// read again every few seconds, each with its cause, its evidence and the actions that would
// help. An action that changes something shows its dry run — exactly what it will do — and
// waits for Apply; opening the logs goes there at once. j/k select a finding, Enter opens its
// first action, d diagnoses now.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { allows, ApiError } from './api';
import { age } from './alertsApi';
import { apply, diagnose, Diagnosis, dryRun, DryRun, Finding, label, mutates, needs, Suggestion } from './assistantApi';
import { useNow } from './hooks';
import { usePageKeys } from './keys';
import { go } from './router';
import type { PageProps } from './router';
import { useWorkspace } from './stream';

/** How often the findings are read again while the page is open. */
const EVERY_MS = 5_000;

interface Asking {
  suggestion: Suggestion;
  plan: DryRun;
}

export function AssistantPage({ session, ws, onSessionInDoubt }: PageProps) {
  const now = useNow();
  const { state } = useWorkspace(ws, onSessionInDoubt);
  const [diagnosis, setDiagnosis] = useState<Diagnosis | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [selected, setSelected] = useState(0);
  const [asking, setAsking] = useState<Asking | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    const read = () =>
      diagnose(ws)
        .then((d) => live && setDiagnosis(d))
        .catch((err) => {
          if (err instanceof ApiError && err.status === 401) onSessionInDoubt();
          if (live) setProblem(`diagnosis: ${err instanceof ApiError ? err.message : String(err)}`);
        });
    void read();
    const timer = window.setInterval(read, EVERY_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [ws, tick]);

  const findings = diagnosis?.findings ?? [];
  const at = Math.min(selected, Math.max(findings.length - 1, 0));

  const open = async (s: Suggestion) => {
    setProblem(null);
    setDone(null);
    if (!mutates(s)) {
      go({ page: 'logs', ws });
      return;
    }
    try {
      setAsking({ suggestion: s, plan: await dryRun(ws, s, state.services) });
    } catch (err) {
      setProblem(`${label(s)}: ${err instanceof ApiError ? err.message : String(err)}`);
    }
  };

  const confirm = async ({ suggestion, plan }: Asking) => {
    setAsking(null);
    try {
      await apply(ws, suggestion, plan);
      setDone(`done: ${label(suggestion)}`);
      setTick((t) => t + 1);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onSessionInDoubt();
      const words = err instanceof ApiError ? [err.message, err.hint].filter(Boolean).join(' — ') : String(err);
      setProblem(`${label(suggestion)}: ${words}`);
    }
  };

  usePageKeys((key) => {
    if (key === 'j' || key === 'k') {
      setSelected(key === 'j' ? Math.min(at + 1, findings.length - 1) : Math.max(at - 1, 0));
      return true;
    }
    if (key === 'd') {
      setTick((t) => t + 1);
      return true;
    }
    const first = findings[at]?.actions[0];
    if (key === 'Enter' && first && (!mutates(first) || allows(session.role, needs(first)))) {
      void open(first);
      return true;
    }
    return false;
  });

  return (
    <section class="page assistant-page" aria-labelledby="assistant-title">
      <h2 id="assistant-title">
        Assistant <span class="scope">{ws}</span>
        <button type="button" data-action="diagnose" onClick={() => setTick((t) => t + 1)}>
          Diagnose now
        </button>
      </h2>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}
      {diagnosis === null ? (
        <p class="empty">diagnosing…</p>
      ) : findings.length === 0 ? (
        <p class="empty no-findings">
          No problems found ({diagnosis.analyzers.length} analyzers: {diagnosis.analyzers.join(', ')}).
        </p>
      ) : (
        <ol class="findings" aria-label="findings">
          {findings.map((f, i) => (
            <FindingItem key={`${f.analyzer}-${f.service ?? ''}-${i}`} finding={f} selected={i === at} now={now} role={session.role} onAction={open} />
          ))}
        </ol>
      )}
      {asking && <DryRunDialog asking={asking} onConfirm={() => void confirm(asking)} onCancel={() => setAsking(null)} />}
    </section>
  );
}

function FindingItem({
  finding: f,
  selected,
  now,
  role,
  onAction,
}: {
  finding: Finding;
  selected: boolean;
  now: number;
  role: PageProps['session']['role'];
  onAction: (s: Suggestion) => void;
}) {
  return (
    <li class={`finding ${f.severity}${selected ? ' selected' : ''}`} data-analyzer={f.analyzer} data-service={f.service ?? ''}>
      <p class="cause">
        <span class={`severity ${f.severity}`}>{f.severity}</span> {f.cause}
        {f.since_ms ? <span class="since"> since {age(f.since_ms, now)}</span> : null}
      </p>
      {f.evidence.length > 0 && (
        <ul class="evidence" aria-label="evidence">
          {f.evidence.map((e, i) => (
            <li key={i}>
              <span class="kind">{e.kind}</span> <code>{e.text}</code>
            </li>
          ))}
        </ul>
      )}
      {f.actions.length > 0 && (
        <div class="suggestions">
          {f.actions.map((s, i) => {
            const may = !mutates(s) || allows(role, needs(s));
            return (
              <button
                key={i}
                type="button"
                data-action={s.action}
                disabled={!may}
                title={may ? undefined : `needs role ${needs(s)}; you are ${role}`}
                onClick={() => onAction(s)}
              >
                {label(s)}
              </button>
            );
          })}
        </div>
      )}
    </li>
  );
}

function DryRunDialog({ asking, onConfirm, onCancel }: { asking: Asking; onConfirm: () => void; onCancel: () => void }) {
  const first = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    first.current?.focus();
    const escape = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', escape);
    return () => window.removeEventListener('keydown', escape);
  }, []);
  const { plan } = asking;
  return (
    <div class="overlay">
      <div class="dialog dry-run" role="alertdialog" aria-modal="true" aria-labelledby="dry-run-title" aria-describedby="dry-run-what">
        <h2 id="dry-run-title">{plan.title}</h2>
        <ul id="dry-run-what" class="plan">
          {plan.lines.map((l, i) => (
            <li key={i}>
              <code>{l}</code>
            </li>
          ))}
        </ul>
        <div class="buttons">
          {plan.apply && (
            <button ref={first} type="button" class="danger" data-action="apply" onClick={onConfirm}>
              {plan.apply}
            </button>
          )}
          <button ref={plan.apply ? undefined : first} type="button" data-action="cancel" onClick={onCancel}>
            {plan.apply ? 'Cancel' : 'Close'}
          </button>
        </div>
      </div>
    </div>
  );
}

// Start / stop / restart from the buttons and the keys, with the TUI's warning: stopping a
// service others depend on asks first and names them (`tui::app::stop`).
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { act, allows, ApiError, Role, Verb } from './api';
import { dependants, elsewhere, ServiceStatus } from './services';

interface Pending {
  service: string;
  dependants: string[];
  elsewhere: string[];
}

export function useActions(workspace: string, services: ServiceStatus[], role: Role, onSessionInDoubt: () => void) {
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const mayAct = allows(role, 'operator');

  // One `run` for the component's life, reading the latest services: memoised rows that
  // take it as a prop are not redrawn for its sake.
  const latest = useRef({ workspace, services, mayAct, onSessionInDoubt });
  latest.current = { workspace, services, mayAct, onSessionInDoubt };
  const { run, send } = useMemo(() => {
    async function send(service: string, verb: Verb) {
      setProblem(null);
      try {
        await act(latest.current.workspace, service, verb);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) latest.current.onSessionInDoubt();
        setProblem(err instanceof ApiError ? `${verb} ${service}: ${err.message}` : String(err));
      }
    }
    function run(service: string, verb: Verb) {
      if (!latest.current.mayAct) return;
      const others = verb === 'stop' ? dependants(latest.current.services, service) : [];
      const outside = verb === 'stop' ? elsewhere(latest.current.services, service) : [];
      if (others.length > 0 || outside.length > 0) setPending({ service, dependants: others, elsewhere: outside });
      else void send(service, verb);
    }
    return { run, send };
  }, []);

  const dialog = pending && (
    <StopWarning
      pending={pending}
      onConfirm={() => {
        setPending(null);
        void send(pending.service, 'stop');
      }}
      onCancel={() => setPending(null)}
    />
  );
  return { run, mayAct, problem, dialog };
}

function StopWarning({ pending, onConfirm, onCancel }: { pending: Pending; onConfirm: () => void; onCancel: () => void }) {
  const confirm = useRef<HTMLButtonElement>(null);
  // Before the dialog is painted: an Escape pressed the moment it shows closes it.
  useLayoutEffect(() => {
    confirm.current?.focus();
    const escape = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', escape);
    return () => window.removeEventListener('keydown', escape);
  }, []);
  return (
    <div class="overlay">
      <div class="dialog stop-warning" role="alertdialog" aria-modal="true" aria-labelledby="stop-title" aria-describedby="stop-why">
        <h2 id="stop-title">Stop {pending.service}?</h2>
        <div id="stop-why">
          {pending.dependants.length > 0 && (
            <>
              <p>These services depend on it and will be stopped too:</p>
              <ul class="dependants">
                {pending.dependants.map((d) => (
                  <li key={d}>{d}</li>
                ))}
              </ul>
            </>
          )}
          {pending.elsewhere.length > 0 && (
            <>
              <p>These services of other workspaces depend on it; their workspaces keep them running without it:</p>
              <ul class="elsewhere">
                {pending.elsewhere.map((d) => (
                  <li key={d}>{d}</li>
                ))}
              </ul>
            </>
          )}
        </div>
        <div class="buttons">
          <button ref={confirm} type="button" class="danger" data-action="confirm-stop" onClick={onConfirm}>
            {pending.dependants.length > 0 ? `Stop ${pending.dependants.length + 1} services` : `Stop ${pending.service}`}
          </button>
          <button type="button" data-action="cancel" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}

/** The three buttons, disabled (and saying why) for a role that may not act. */
export function ActionButtons({
  service,
  mayAct,
  role,
  run,
}: {
  service: string;
  mayAct: boolean;
  role: Role;
  run: (service: string, verb: Verb) => void;
}) {
  return (
    <>
      {(['start', 'stop', 'restart'] as const).map((verb) => (
        <button
          key={verb}
          type="button"
          data-action={verb}
          aria-label={`${verb} ${service}`}
          disabled={!mayAct}
          title={mayAct ? undefined : `needs role operator; you are ${role}`}
          onClick={() => run(service, verb)}
        >
          {verb}
        </button>
      ))}
    </>
  );
}

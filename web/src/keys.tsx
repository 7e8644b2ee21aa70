// The TUI's keys in the browser. Keys are data (`KEYS`, which the help lists); the shell
// routes a key to the open overlay first, then to the page (`usePageKeys`), then to its own
// (`/`, `:`, `?`). A key typed into a field, or with a modifier, is never taken.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { WorkspaceEntry } from './api';
import { Page, Route, go } from './router';

export const KEYS: [string, string][] = [
  ['j', 'select the next service'],
  ['k', 'select the previous service'],
  ['Enter', 'open the selected service'],
  ['s', 'start the selected service'],
  ['x', 'stop the selected service (warns when others depend on it)'],
  ['r', 'restart the selected service'],
  ['t', "open the service's live terminal (service page)"],
  ['D', 'deploy the selected service, after asking (deploys page)'],
  ['R', 'roll the selected service back, after asking (deploys page)'],
  ['A', 'approve the deploy waiting for an approval, after asking (deploys page)'],
  ['X', 'reject the deploy waiting for an approval, after asking (deploys page)'],
  ['d', 'diagnose now (assistant page)'],
  ['Enter', "open the selected finding's first action: its dry run, then Apply (assistant page)"],
  ['/', 'filter or search the page'],
  [':', 'go to a page, workspace or service'],
  ['?', 'show these keys'],
  ['Escape', 'close what is open'],
];

type Handler = (key: string) => boolean;
let pageKeys: Handler | null = null;

/** The page's own keys while it is shown: `handler` answers whether it took the key. */
export function usePageKeys(handler: Handler): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const mine: Handler = (key) => latest.current(key);
    pageKeys = mine;
    return () => {
      if (pageKeys === mine) pageKeys = null;
    };
  }, []);
}

/** Keys that belong to where they are typed: fields, the terminal, and Enter on a control. */
function belongsToTarget(e: KeyboardEvent): boolean {
  const el = e.target instanceof Element ? e.target : null;
  if (!el) return false;
  if (el.closest('input, textarea, select, [contenteditable], .xterm')) return true;
  return e.key === 'Enter' && el.closest('a, button') !== null;
}

/** The shell's key routing; `open` shows the palette or the help. */
export function useShellKeys(overlay: boolean, open: (what: 'palette' | 'help') => void): void {
  const latest = useRef({ overlay, open });
  latest.current = { overlay, open };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || belongsToTarget(e)) return;
      // An overlay (the palette, the help, a stop warning) handles its own keys.
      if (latest.current.overlay || document.querySelector('.overlay')) return;
      if (pageKeys?.(e.key)) {
        e.preventDefault();
      } else if (e.key === '/') {
        const field = document.querySelector<HTMLInputElement>('main input[type=search]');
        if (field) {
          e.preventDefault();
          field.focus();
        }
      } else if (e.key === ':' || e.key === '?') {
        e.preventDefault();
        latest.current.open(e.key === ':' ? 'palette' : 'help');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

interface Target {
  label: string;
  route: Route;
}

const PER_WORKSPACE: Page[] = ['logs', 'alerts', 'config', 'deploys', 'assistant'];

/** Where `:` may go: each page of the current workspace, each workspace (the same page
 * there when it is per workspace), each service the page lists. */
function targets(route: Route, ws: string, pages: [Page, string][], list: WorkspaceEntry[]): Target[] {
  const out: Target[] = pages.map(([page, nav]) => ({ label: nav, route: { page, ws } }));
  const page = PER_WORKSPACE.includes(route.page) ? route.page : 'dashboard';
  for (const w of list) out.push({ label: `workspace ${w.name}`, route: { page, ws: w.name } });
  for (const tr of document.querySelectorAll<HTMLElement>('main [data-workspace] tr[data-service]')) {
    const w = tr.closest<HTMLElement>('[data-workspace]')?.dataset.workspace ?? ws;
    const name = tr.dataset.service ?? '';
    out.push({ label: `service ${name}${list.length > 1 ? ` (${w})` : ''}`, route: { page: 'service', ws: w, name } });
  }
  return out;
}

export function Palette({
  route,
  ws,
  pages,
  list,
  onClose,
}: {
  route: Route;
  ws: string;
  pages: [Page, string][];
  list: WorkspaceEntry[];
  onClose: () => void;
}) {
  const [all] = useState(() => targets(route, ws, pages, list));
  const [text, setText] = useState('');
  const [chosen, setChosen] = useState(0);
  const field = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => field.current?.focus(), []);
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = all.filter((t) => words.every((w) => t.label.toLowerCase().includes(w)));
  const at = Math.min(chosen, Math.max(shown.length - 1, 0));
  const pick = (t: Target | undefined) => {
    if (!t) return;
    onClose();
    go(t.route);
  };
  // The arrows move the choice through what is shown, wrapping; Enter takes it.
  const move = (by: number) => shown.length && setChosen((at + by + shown.length) % shown.length);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog palette" role="dialog" aria-modal="true" aria-label="go to">
        <input
          ref={field}
          type="text"
          aria-label="go to"
          placeholder="page, workspace or service"
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setChosen(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') pick(shown[at]);
            if (e.key === 'Escape') onClose();
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              move(e.key === 'ArrowDown' ? 1 : -1);
            }
          }}
        />
        <ul>
          {shown.map((t, i) => (
            <li key={t.label}>
              <button type="button" class={i === at ? 'chosen' : undefined} aria-current={i === at ? 'true' : undefined} onClick={() => pick(t)}>
                {t.label}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function Help({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  // Before the help is painted: an Escape pressed the moment it shows closes it.
  useLayoutEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog help" role="dialog" aria-modal="true" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <table>
          <tbody>
            {KEYS.map(([key, what]) => (
              <tr key={`${key} ${what}`}>
                <th scope="row">
                  <kbd>{key}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button ref={close} type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

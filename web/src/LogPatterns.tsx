import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { PatternInfo, patterns } from './logsApi';

const FLAGS: Record<string, string> = { errors: 'mostly errors', new_and_growing: 'new and growing' };
/** The level names in the order of `PatternInfo.levels` (slot 0: no level). */
const SLOTS = ['none', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** The patterns the engine mined, most lines first, flagged ones on top; each opens its
 * lines. Read when the view opens and when asked (patterns change slowly). */
export function LogPatterns({ workspace, onOpen }: { workspace: string; onOpen: (p: PatternInfo) => void }) {
  const [list, setList] = useState<PatternInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = () => {
    patterns(workspace)
      .then((found) => {
        setProblem(null);
        setList(sorted(found));
      })
      .catch((e) => setProblem(`patterns: ${e instanceof ApiError ? e.message : e}`));
  };
  useEffect(load, [workspace]);

  return (
    <>
      <p>
        <button type="button" class="refresh" onClick={load}>
          Refresh patterns
        </button>
      </p>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {list && list.length === 0 && <p>No pattern yet: they are mined from the lines as they arrive.</p>}
      {list && list.length > 0 && (
        <table class="pattern-list">
          <thead>
            <tr>
              <th scope="col">Lines</th>
              <th scope="col">Flag</th>
              <th scope="col">Pattern</th>
              <th scope="col">Levels</th>
              <th scope="col">Services</th>
              <th scope="col">
                <span class="visually-hidden">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.id} data-pattern={p.id}>
                <td class="count">{p.count.toLocaleString('en')}</td>
                <td class={`flag ${p.flag ?? ''}`}>{p.flag ? FLAGS[p.flag] ?? p.flag : ''}</td>
                <td class="template">
                  <code>{p.template}</code>
                </td>
                <td class="levels">{levels(p.levels)}</td>
                <td class="sources">{p.sources.join(', ')}</td>
                <td>
                  <button type="button" data-action="lines" onClick={() => onOpen(p)}>
                    Show lines
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

function sorted(list: PatternInfo[]): PatternInfo[] {
  return [...list].sort((a, b) => Number(!!b.flag) - Number(!!a.flag) || b.count - a.count);
}

function levels(counts: number[]): string {
  return counts
    .map((n, slot) => (n > 0 && slot > 0 ? `${SLOTS[slot]} ${n}` : ''))
    .filter(Boolean)
    .join(', ');
}

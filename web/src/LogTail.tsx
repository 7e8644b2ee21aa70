// A service's log lines as they arrive (`GET .../logs/follow?service=NAME`): a short tail
// with a filter; the logs page is the full viewer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { href } from './router';
import { follow } from './stream';

interface Line {
  seq: number;
  at: number;
  level?: string;
  text: string;
}

const KEPT = 300;
const BACKFILL = 100;

export function LogTail({ ws, service }: { ws: string; service: string }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [filter, setFilter] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    setLines([]);
    const q = new URLSearchParams({ service, limit: String(BACKFILL) });
    // A stream opened again after a refusal sends its backfill again: `seq` drops the repeats.
    const add = (data: unknown) => {
      const got = (data as { lines: Line[] }).lines;
      setLines((old) => [...old, ...got.filter((l) => !old.length || l.seq > old[old.length - 1].seq)].slice(-KEPT));
    };
    return follow(`/api/v1/workspaces/${encodeURIComponent(ws)}/logs/follow?${q}`, ['lines'], add, setLive);
  }, [ws, service]);
  // Follow the tail while the reader is at the bottom; scrolled up, leave them there.
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [lines]);
  const shown = filter ? lines.filter((l) => l.text.includes(filter)) : lines;
  return (
    <section class="log-tail" aria-label="logs">
      <h3>
        logs <a href={href({ page: 'logs', ws })}>all logs</a>
        <span class={live ? 'link live' : 'link'}>{live ? 'following' : 'connecting…'}</span>
      </h3>
      <label>
        <span class="visually-hidden">filter the lines</span>
        <input type="search" placeholder="filter (/)" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <div class="lines" ref={box} tabIndex={0} role="log" aria-label={`log lines of ${service}`}>
        {shown.map((l) => (
          <div key={l.seq} class={`line ${l.level ?? ''}`}>
            {l.text}
          </div>
        ))}
      </div>
    </section>
  );
}

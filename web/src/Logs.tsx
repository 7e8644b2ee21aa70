import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { CAP, filterKey, LogBuffer, useFollow } from './logFollow';
import { checkFilter, LogFilter, LogLine, message, NO_FILTER, PatternInfo, patternLines, serviceNames, shownLevel } from './logsApi';
import { LogPatterns } from './LogPatterns';
import { Jump, VirtualList } from './VirtualList';

const ROW_HEIGHT = 22;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** Stored lines shown for a pattern. */
const PATTERN_LINES = 2000;

/** The logs page (`#/ws/{ws}/logs`): the merged live tail with filters and search, and the
 * patterns view, from which a pattern's own lines are one click away. */
export function Logs({ workspace }: { workspace: string }) {
  const [filter, setFilter] = useState<LogFilter>(NO_FILTER);
  const [view, setView] = useState<'tail' | 'patterns'>('tail');
  const [pattern, setPattern] = useState<{ info: PatternInfo; lines: LogLine[] } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [raw, setRaw] = useState(false);

  async function apply(next: LogFilter) {
    try {
      if (next.grep) await checkFilter(workspace, next);
      setProblem(null);
      setFilter(next);
    } catch (err) {
      const why = err instanceof ApiError ? err.message : String(err);
      setProblem(`The regex ${JSON.stringify(next.grep)} is refused: ${why}`);
    }
  }

  async function open(info: PatternInfo) {
    try {
      setPattern({ info, lines: await patternLines(workspace, info.id, PATTERN_LINES) });
      setView('tail');
    } catch (err) {
      setProblem(`The lines of pattern ${info.id}: ${err instanceof ApiError ? err.message : err}`);
    }
  }

  return (
    <section class="page logs" aria-labelledby="logs-title">
      <h2 id="logs-title">
        Logs <span class="scope">{workspace}</span>
      </h2>
      <div class="log-views" role="group" aria-label="view">
        <button type="button" aria-pressed={view === 'tail'} onClick={() => setView('tail')}>
          Lines
        </button>
        <button type="button" aria-pressed={view === 'patterns'} onClick={() => setView('patterns')}>
          Patterns
        </button>
        <button
          type="button"
          class="raw"
          aria-pressed={raw}
          title="whole lines, with the time and level their source writes"
          onClick={() => setRaw(!raw)}
        >
          Raw lines
        </button>
      </div>
      {problem && (
        <p class="problem filter-problem" role="alert">
          {problem}
        </p>
      )}
      {view === 'patterns' && <LogPatterns workspace={workspace} onOpen={open} />}
      {view === 'tail' && pattern && (
        <PatternLines info={pattern.info} lines={pattern.lines} raw={raw} onBack={() => setPattern(null)} />
      )}
      {view === 'tail' && !pattern && <Tail workspace={workspace} filter={filter} raw={raw} onFilter={apply} />}
    </section>
  );
}

function Tail({
  workspace,
  filter,
  raw,
  onFilter,
}: {
  workspace: string;
  filter: LogFilter;
  raw: boolean;
  onFilter: (f: LogFilter) => void;
}) {
  const { buffer, version, live, caughtUp } = useFollow(workspace, filter);
  const [follow, setFollow] = useState(true);
  const [pausedAt, setPausedAt] = useState(0);
  const [search, setSearch] = useState('');
  const [jump, setJump] = useState<Jump | null>(null);
  const fresh = buffer.added - pausedAt;
  // Another filter is another tail: it starts at its end, following.
  useEffect(() => {
    setFollow(true);
    setPausedAt(0);
  }, [buffer]);

  const onFollow = (on: boolean) => {
    setFollow(on);
    if (!on) setPausedAt(buffer.added);
  };
  const next = () => {
    const from = jump ? jump.index + 1 : 0;
    const index = findFrom(buffer.lines, search, from);
    if (index >= 0) setJump({ index });
  };

  return (
    <div class="tail" data-filter={filterKey(filter)} data-caught-up={String(caughtUp)}>
      <FilterForm workspace={workspace} filter={filter} onFilter={onFilter} />
      <form
        class="log-search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          next();
        }}
      >
        <label for="log-search">Search</label>
        <input id="log-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <button type="submit" disabled={!search}>
          Next match
        </button>
        <SearchCount buffer={buffer} search={search} />
      </form>
      <p class="log-status" aria-live="polite">
        <span class={live ? 'link live' : 'link'}>{live ? 'live' : 'connecting…'}</span>
        {caughtUp && <span class="held">{buffer.lines.length.toLocaleString('en')} lines</span>}
        {buffer.dropped > 0 && (
          <span class="dropped">
            {buffer.dropped.toLocaleString('en')} older lines dropped (the page keeps {CAP.toLocaleString('en')})
          </span>
        )}
        {buffer.skipped > 0 && (
          <span class="skipped">{buffer.skipped.toLocaleString('en')} lines not sent: the page fell behind</span>
        )}
        {follow ? (
          <span class="following">following</span>
        ) : (
          <button type="button" class="resume" onClick={() => setFollow(true)}>
            Paused: {fresh.toLocaleString('en')} new lines — resume
          </button>
        )}
      </p>
      <VirtualList
        items={buffer.lines}
        version={version}
        rowHeight={ROW_HEIGHT}
        row={(line) => <Row key={line.seq} line={line} search={search} raw={raw} />}
        follow={follow}
        onFollow={onFollow}
        dropped={buffer.dropped}
        jump={jump}
        label="log lines"
      />
    </div>
  );
}

function FilterForm({ workspace, filter, onFilter }: { workspace: string; filter: LogFilter; onFilter: (f: LogFilter) => void }) {
  const [names, setNames] = useState<string[]>([]);
  const [grep, setGrep] = useState(filter.grep);
  useEffect(() => {
    serviceNames(workspace)
      .then(setNames)
      .catch(() => setNames([]));
  }, [workspace]);
  return (
    <form
      class="log-filter"
      onSubmit={(e) => {
        e.preventDefault();
        onFilter({ ...filter, grep });
      }}
    >
      <label for="log-service">Service</label>
      <select id="log-service" value={filter.service} onChange={(e) => onFilter({ ...filter, service: e.currentTarget.value })}>
        <option value="">all</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      <label for="log-level">Level at least</label>
      <select id="log-level" value={filter.level} onChange={(e) => onFilter({ ...filter, level: e.currentTarget.value })}>
        <option value="">any</option>
        {LEVELS.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
      <label for="log-grep">Regex</label>
      <input id="log-grep" value={grep} onInput={(e) => setGrep(e.currentTarget.value)} spellcheck={false} />
      <button type="submit">Filter</button>
    </form>
  );
}

function SearchCount({ buffer, search }: { buffer: LogBuffer; search: string }) {
  const count = useMatchCount(buffer, search);
  return search ? <span class="match-count">{count.toLocaleString('en')} matching lines</span> : null;
}

/** How many held lines contain `search`, kept up to date with the lines each frame adds
 * and drops (a full count of 50,000 lines a frame would be the page's main cost); read
 * on each render, which each frame's batch causes. */
function useMatchCount(buffer: LogBuffer, search: string): number {
  const state = useRef({ buffer, search, added: 0, seqs: [] as number[], head: 0 });
  let s = state.current;
  if (s.buffer !== buffer || s.search !== search) {
    s = state.current = { buffer, search, added: buffer.added - buffer.lines.length, seqs: [], head: 0 };
  }
  if (!search) return 0;
  const fresh = buffer.added - s.added;
  for (const line of buffer.lines.slice(Math.max(0, buffer.lines.length - fresh))) {
    if (has(line.text, search)) s.seqs.push(line.seq);
  }
  s.added = buffer.added;
  const oldest = buffer.lines[0]?.seq ?? Infinity;
  while (s.head < s.seqs.length && s.seqs[s.head] < oldest) s.head++;
  if (s.head > 4096) {
    s.seqs = s.seqs.slice(s.head);
    s.head = 0;
  }
  return s.seqs.length - s.head;
}

function PatternLines({ info, lines, raw, onBack }: { info: PatternInfo; lines: LogLine[]; raw: boolean; onBack: () => void }) {
  const [follow, setFollow] = useState(false);
  return (
    <>
      <p class="pattern-scope">
        Lines of pattern <code>{info.template}</code> ({lines.length.toLocaleString('en')} newest stored){' '}
        <button type="button" class="back" onClick={onBack}>
          Back to the live tail
        </button>
      </p>
      <VirtualList
        items={lines}
        version={0}
        rowHeight={ROW_HEIGHT}
        row={(line) => <Row key={line.seq} line={line} search="" raw={raw} />}
        follow={follow}
        onFollow={setFollow}
        dropped={0}
        jump={null}
        label={`lines of pattern ${info.id}`}
      />
    </>
  );
}

function Row({ line, search, raw }: { line: LogLine; search: string; raw: boolean }) {
  const level = shownLevel(line);
  const text = raw ? line.text : message(line);
  return (
    <div class="log-row" data-seq={line.seq} data-source={line.source} data-level={level}>
      <span class="at">{clock(line.at)}</span>
      <span class="source">{line.source}</span>
      <span class={`level ${level.toLowerCase()}`}>{level}</span>
      <span class="text">{search ? marked(text, search) : text}</span>
    </div>
  );
}

function has(text: string, search: string): boolean {
  return text.toLowerCase().includes(search.toLowerCase());
}

function findFrom(lines: LogLine[], search: string, from: number): number {
  for (let i = from; i < lines.length; i++) if (has(lines[i].text, search)) return i;
  return from > 0 ? findFrom(lines, search, 0) : -1;
}

/** The text with each (case-blind) occurrence of `search` in a <mark>. */
function marked(text: string, search: string) {
  const lower = text.toLowerCase();
  const needle = search.toLowerCase();
  const parts = [];
  let at = 0;
  for (let hit = lower.indexOf(needle); hit >= 0; hit = lower.indexOf(needle, at)) {
    parts.push(text.slice(at, hit), <mark>{text.slice(hit, hit + needle.length)}</mark>);
    at = hit + needle.length;
  }
  parts.push(text.slice(at));
  return parts;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

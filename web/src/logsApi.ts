// Logs as the API serves them (`logs::model`): stored lines, the follow stream's URL, the
// mined patterns. The filter is the server's (`sources`, `level`, `grep`, `pattern`), so a
// line the page shows is one the engine matched, and a bad regex is refused by name.
import { call } from './api';

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

export interface LogLine {
  seq: number;
  at: number;
  source: string;
  level?: Level;
  pattern?: number;
  text: string;
  /** Where the source's own header fields sit in `text` (UTF-8 byte offsets), once its
   * format was learned: `message` is where the message starts. */
  header?: { message: number; level?: [number, number] };
}

const ASCII = /^[\x00-\x7f]*$/;

/** `text` from UTF-8 byte `start` to `end`: the API's spans count bytes, JS strings UTF-16
 * units, which are the same for ASCII. */
function bytes(text: string, start: number, end?: number): string {
  if (ASCII.test(text)) return text.slice(start, end);
  return new TextDecoder().decode(new TextEncoder().encode(text).slice(start, end));
}

/** The line without the header its source's format names (time, level, host, ...). */
export function message(line: LogLine): string {
  return line.header ? bytes(line.text, line.header.message) : line.text;
}

/** The line's level, or the one its header names when the source's levels are not learned yet. */
export function shownLevel(line: LogLine): string {
  if (line.level) return line.level;
  const span = line.header?.level;
  return span ? bytes(line.text, span[0], span[1]).toUpperCase() : '';
}

export interface PatternInfo {
  id: number;
  template: string;
  count: number;
  first_seen: number;
  last_seen: number;
  examples: string[];
  /** Lines per level; slot 0 counts lines without one, then TRACE … FATAL. */
  levels: number[];
  sources: string[];
  flag?: 'errors' | 'new_and_growing' | null;
}

export interface LogFilter {
  service: string;
  /** Lowest level, lower case as the API names it; '' for every line. */
  level: string;
  grep: string;
}

export const NO_FILTER: LogFilter = { service: '', level: '', grep: '' };

/** What the follow stream sends (`LogStreamEvent`), by SSE event name. */
export type StreamEvent =
  | { kind: 'lines'; lines: LogLine[] }
  | { kind: 'caught_up' }
  | { kind: 'skipped'; count: number }
  | { kind: 'second' };

function base(workspace: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}`;
}

function params(filter: LogFilter, extra: Record<string, string>): string {
  const query = new URLSearchParams();
  if (filter.service) query.set('sources', filter.service);
  if (filter.level) query.set('level', filter.level);
  if (filter.grep) query.set('grep', filter.grep);
  for (const [key, value] of Object.entries(extra)) query.set(key, value);
  return query.toString();
}

/** The follow stream; `since` (unix ms) starts its backfill there after a reconnect. */
export function followUrl(workspace: string, filter: LogFilter, since?: number): string {
  const extra: Record<string, string> = since === undefined ? {} : { since: String(since) };
  return `${base(workspace)}/logs/follow?${params(filter, extra)}`;
}

/** Asks the server whether it takes the filter: its refusal names the field (`grep`). */
export function checkFilter(workspace: string, filter: LogFilter): Promise<unknown> {
  return call('GET', `${base(workspace)}/logs?${params(filter, { count: 'true', since: String(Date.now()) })}`);
}

/** The newest `limit` stored lines of one pattern. */
export function patternLines(workspace: string, pattern: number, limit: number): Promise<LogLine[]> {
  const query = new URLSearchParams({ pattern: String(pattern), limit: String(limit) });
  return call<LogLine[]>('GET', `${base(workspace)}/logs?${query}`);
}

export function patterns(workspace: string): Promise<PatternInfo[]> {
  return call<PatternInfo[]>('GET', `${base(workspace)}/logs/patterns`);
}

export function serviceNames(workspace: string): Promise<string[]> {
  return call<{ name: string }[]>('GET', `${base(workspace)}/services`).then((list) => list.map((s) => s.name));
}

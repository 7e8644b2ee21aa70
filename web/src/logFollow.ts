// The merged live tail: the logs follow stream (SSE) into a capped buffer, with incoming
// lines gathered and added once per animation frame, so 1,000 lines/s cost one render a
// frame rather than one per event. The browser reconnects a dropped stream by itself with
// `Last-Event-ID` (the server resumes after that line); a stream the server refused is
// opened again from the last line's time, and lines already held are told by their `seq`.
import { useEffect, useState } from 'preact/hooks';
import { followUrl, LogFilter, LogLine } from './logsApi';

/** Lines the page keeps; older ones are dropped, and the page says how many. */
export const CAP = 50_000;
const RETRY_MS = 1000;

export class LogBuffer {
  lines: LogLine[] = [];
  /** Lines added since the buffer was made (the "N new lines" count reads it). */
  added = 0;
  /** Oldest lines dropped to stay under the cap. */
  dropped = 0;
  /** Lines the server did not send because this page fell behind (it stored them). */
  skipped = 0;
  /** The newest line held, or waiting to be. */
  lastSeq = -1;
  lastAt: number | undefined = undefined;

  /** Keeps the lines newer than the newest held ones. */
  take(incoming: LogLine[], into: LogLine[]): void {
    for (const line of incoming) {
      if (line.seq <= this.lastSeq) continue;
      this.lastSeq = line.seq;
      this.lastAt = line.at;
      into.push(line);
    }
  }

  add(batch: LogLine[]): void {
    this.lines.push(...batch);
    this.added += batch.length;
    const over = this.lines.length - CAP;
    if (over > 0) {
      this.lines.splice(0, over);
      this.dropped += over;
    }
  }
}

export interface Follow {
  buffer: LogBuffer;
  /** Bumped each time the buffer changed. */
  version: number;
  live: boolean;
  /** Every stored line asked for has arrived; what follows is live. */
  caughtUp: boolean;
}

/** One string per filter: the stream is opened again only when it changes. */
export function filterKey(filter: LogFilter): string {
  return JSON.stringify([filter.service, filter.level, filter.grep]);
}

export function useFollow(workspace: string, filter: LogFilter): Follow {
  const [buffer, setBuffer] = useState(() => new LogBuffer());
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  // The filter whose stream caught up: a render with a new filter is not caught up yet.
  const [caughtUpWith, setCaughtUpWith] = useState<string | null>(null);
  const key = filterKey(filter);

  useEffect(() => {
    const held = new LogBuffer();
    setBuffer(held);
    let pending: LogLine[] = [];
    let frame = 0;
    let source: EventSource | null = null;
    let timer: number | undefined;
    const flush = () => {
      frame = 0;
      held.add(pending);
      pending = [];
      setVersion((v) => v + 1);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(flush);
    };
    const open = () => {
      source = new EventSource(followUrl(workspace, filter, held.lastAt));
      source.onopen = () => setLive(true);
      source.addEventListener('lines', (e) => {
        held.take(JSON.parse((e as MessageEvent).data).lines, pending);
        // A hidden tab draws no frames: what waits is capped like the buffer.
        if (pending.length > CAP) pending.splice(0, pending.length - CAP);
        schedule();
      });
      source.addEventListener('caught_up', () => setCaughtUpWith(key));
      source.addEventListener('skipped', (e) => {
        held.skipped += JSON.parse((e as MessageEvent).data).count;
        schedule();
      });
      source.onerror = () => {
        setLive(false);
        if (source?.readyState === EventSource.CLOSED) timer = window.setTimeout(open, RETRY_MS);
      };
    };
    open();
    return () => {
      clearTimeout(timer);
      cancelAnimationFrame(frame);
      source?.close();
    };
  }, [workspace, key]);
  return { buffer, version, live, caughtUp: caughtUpWith === key };
}

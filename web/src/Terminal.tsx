// The terminal page (`#/ws/{ws}/terminal/{name}`): the service's tmux window, live, in
// xterm.js (loaded as its own chunk when the page opens). Everyone sees the screen and what
// the service prints; an operator's typing goes to the window like `tmux send-keys`, a
// viewer's terminal is read only (and the server refuses its keys anyway). Leaving the page
// closes the stream and leaves the service alone.
import { useEffect, useRef, useState } from 'preact/hooks';
import { allows, ApiError, call } from './api';
import { href } from './router';
import type { PageProps } from './router';
import type { Screen, Term } from './xterm';

type Link = 'connecting' | 'live' | 'closed' | 'unavailable';

const LINK_TEXT: Record<Link, string> = {
  connecting: 'connecting…',
  live: 'live',
  closed: 'window closed, waiting for it…',
  unavailable: 'not available (is it running?), trying again…',
};
const RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;
/** Typed text sent in one request, at most (the server takes 16 KiB). */
const SEND_MAX = 4096;

export function TerminalPage({ session, route, ws, onSessionInDoubt }: PageProps) {
  const name = route.name ?? '';
  const mayType = allows(session.role, 'operator');
  const box = useRef<HTMLDivElement>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let term: Term | null = null;
    let close = () => undefined as void;
    let left = false;
    const base = `/api/v1/workspaces/${encodeURIComponent(ws)}/services/${encodeURIComponent(name)}/terminal`;
    const onProblem = (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) onSessionInDoubt();
      setProblem(e === null ? null : e instanceof ApiError ? `typing: ${e.message}` : String(e));
    };
    import('./xterm')
      .then(({ mount }) => {
        if (left || !box.current) return;
        term = mount(box.current, !mayType, typist(`${base}/keys`, onProblem));
        if (mayType) term.focus();
        close = follow(base, term, setLink);
      })
      .catch((e) => setProblem(`the terminal did not load: ${e}`));
    return () => {
      left = true;
      close();
      term?.dispose();
    };
  }, [ws, name, mayType]);
  return (
    <section class="page terminal-page" data-service={name}>
      <h2>
        {name} <span class="hint">terminal in {ws}</span>
        <span class={link === 'live' ? 'link live' : 'link'} data-link={link}>
          {LINK_TEXT[link]}
        </span>
      </h2>
      <p class="term-mode">
        {mayType ? (
          <span class="typing">What you type goes to the service's window.</span>
        ) : (
          <span class="read-only">read only</span>
        )}{' '}
        <a href={href({ page: 'service', ws, name })}>back to {name}</a>
      </p>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <div class="term-box" ref={box} aria-label={`terminal of ${name}`} role="region" />
    </section>
  );
}

/** Streams the window into `term`, opening the stream again after it is refused or the
 * window closed; answers what closes it. */
function follow(url: string, term: Term, setLink: (link: Link) => void): () => void {
  let source: EventSource | null = null;
  let timer: number | undefined;
  let delay = RETRY_MS;
  const again = (link: Link) => {
    source?.close();
    setLink(link);
    timer = window.setTimeout(open, delay);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  };
  const open = () => {
    const s = new EventSource(url);
    source = s;
    s.addEventListener('screen', (e) => {
      term.screen(JSON.parse((e as MessageEvent).data) as Screen);
      delay = RETRY_MS;
      setLink('live');
    });
    s.addEventListener('output', (e) => term.write(decode((e as MessageEvent).data)));
    s.addEventListener('closed', () => again('closed'));
    // The browser reconnects a dropped stream itself; a refused one is opened here again.
    s.onerror = () => (s.readyState === EventSource.CLOSED ? again('unavailable') : setLink('connecting'));
  };
  open();
  return () => {
    clearTimeout(timer);
    source?.close();
  };
}

function decode(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Sends what is typed in order, one request at a time: keys typed while one is on its way
 * go together in the next. */
function typist(url: string, onProblem: (e: unknown) => void): (data: string) => void {
  let pending = '';
  let busy = false;
  const flush = async () => {
    if (busy || !pending) return;
    busy = true;
    const text = pending.slice(0, SEND_MAX);
    pending = pending.slice(text.length);
    try {
      await call('POST', url, { text });
      onProblem(null);
    } catch (e) {
      onProblem(e);
    } finally {
      busy = false;
      void flush();
    }
  };
  return (data) => {
    pending += data;
    void flush();
  };
}

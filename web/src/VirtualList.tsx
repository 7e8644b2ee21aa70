// A list that renders only the rows in view (fixed row height), so 50,000 buffered lines
// cost the DOM what a screenful does. While it follows it stays at the bottom; a scroll up
// by the user is reported (the caller pauses and says so), and scrolling back to the end
// is reported too.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/** Rows drawn above and below the view, so a fast scroll does not show blank space. */
const OVERSCAN = 10;

export interface Jump {
  /** The row to bring into view. */
  index: number;
}

interface Props<T> {
  items: T[];
  /** Changes whenever `items` changed in place. */
  version: number;
  rowHeight: number;
  row: (item: T, index: number) => ComponentChildren;
  follow: boolean;
  /** The user scrolled away from the end (false) or back to it (true). */
  onFollow: (follow: boolean) => void;
  /** Rows dropped from the front since the list was made: the view keeps its rows. */
  dropped: number;
  jump: Jump | null;
  label: string;
}

export function VirtualList<T>({ items, version, rowHeight, row, follow, onFollow, dropped, jump, label }: Props<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);
  const seenDropped = useRef(dropped);
  const total = items.length * rowHeight;
  const shownTop = follow ? Math.max(0, total - height) : top;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const shift = (dropped - seenDropped.current) * rowHeight;
    seenDropped.current = dropped;
    if (follow) el.scrollTop = el.scrollHeight;
    else if (shift > 0) el.scrollTop = Math.max(0, el.scrollTop - shift);
  }, [version, follow, dropped]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !jump) return;
    el.scrollTop = Math.max(0, jump.index * rowHeight - el.clientHeight / 2);
    setTop(el.scrollTop);
  }, [jump]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
    setTop(el.scrollTop);
    if (atEnd !== follow) onFollow(atEnd);
  };

  const first = Math.max(0, Math.floor(shownTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((shownTop + height) / rowHeight) + OVERSCAN);
  return (
    <div ref={box} class="vlist" tabIndex={0} role="region" aria-label={label} onScroll={onScroll}>
      <div class="vlist-space" style={{ height: `${total}px` }}>
        <div class="vlist-rows" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {items.slice(first, last).map((item, i) => row(item, first + i))}
        </div>
      </div>
    </div>
  );
}

// Inline SVG charts (no chart library: a polyline is all a sparkline needs). A chart is
// memoised on its series arrays, which `useSeries` replaces only when they change.
import { memo } from 'preact/compat';
import type { Series, Span, Window } from './metrics';
import { WINDOWS } from './metrics';

const W = 100;
const H = 30;

/** The points of `series` in a `W`×`H` box: time across (`from`..`to`), value up from 0 to `top`. */
function path(series: Series, from: number, to: number, top: number): string {
  const span = Math.max(to - from, 1);
  return series
    .map(([t, v]) => `${(((t - from) / span) * W).toFixed(2)},${(H - (Math.min(v, top) / top) * H).toFixed(2)}`)
    .join(' ');
}

function top(lines: Series[], floor: number): number {
  let max = floor;
  for (const s of lines) for (const [, v] of s) max = Math.max(max, v);
  return max;
}

/** A sparkline of the last minute or so; `label` says what it is and its last value. */
export const Sparkline = memo(function Sparkline({ series, label, floor }: { series: Series | undefined; label: string; floor: number }) {
  if (!series || series.length < 2) return <span class="spark empty">–</span>;
  const from = series[0][0];
  const to = series[series.length - 1][0];
  return (
    <svg class="spark" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={label}>
      <polyline points={path(series, from, to, top([series], floor))} />
    </svg>
  );
});

export interface Line {
  name: string;
  series: Series | undefined;
  /** Stretches the anomaly detector flagged, shaded behind the lines. */
  anomalies?: Span[];
}

/** A chart of one or more lines over `window`, ending now; the caption gives the latest
 * value of each and the top of the scale, worded by `format`. */
export const Chart = memo(function Chart({
  title,
  lines,
  window,
  format,
  floor,
}: {
  title: string;
  lines: Line[];
  window: Window;
  format: (v: number) => string;
  floor: number;
}) {
  const drawn = lines.map((l) => l.series ?? []);
  const to = Math.max(...drawn.map((s) => (s.length ? s[s.length - 1][0] : 0)), 0);
  const from = to - window.secs;
  const max = top(drawn, floor);
  const last = (s: Series) => (s.length ? format(s[s.length - 1][1]) : '–');
  const span = Math.max(to - from, 1);
  const flagged = lines
    .flatMap((l) => l.anomalies ?? [])
    .filter((a) => a.to >= from && a.from <= to)
    .map((a) => {
      const x = ((Math.max(a.from, from) - from) / span) * W;
      const w = ((Math.min(a.to, to) - Math.max(a.from, from)) / span) * W;
      return { x, w: Math.max(w, 0.5) };
    });
  const words = lines.map((l, i) => `${l.name} ${last(drawn[i])}`).join(', ') + (flagged.length ? ', anomalous' : '');
  return (
    <figure class="chart" data-chart={title}>
      <figcaption>
        <span class="title">{title}</span>{' '}
        {lines.map((l, i) => (
          <span key={l.name} class={`value line-${i}`}>
            {lines.length > 1 ? `${l.name} ` : ''}
            {last(drawn[i])}
          </span>
        ))}
        {flagged.length ? <span class="anomalous">anomalous</span> : null}
        <span class="scale">max {format(max)}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${title} over ${window.label}: ${words}`}>
        {flagged.map((f, i) => (
          <rect key={`a${i}`} class="anomaly" x={f.x.toFixed(2)} y="0" width={f.w.toFixed(2)} height={H} />
        ))}
        {drawn.map((s, i) => (s.length > 1 ? <polyline key={i} class={`line-${i}`} points={path(s, from, to, max)} /> : null))}
      </svg>
    </figure>
  );
});

/** The 1m / 5m / 1h / 24h switch. */
export function WindowPicker({ value, onChange }: { value: Window; onChange: (w: Window) => void }) {
  return (
    <div class="windows" role="group" aria-label="window">
      {WINDOWS.map((w) => (
        <button key={w.label} type="button" data-window={w.label} aria-pressed={w === value} onClick={() => onChange(w)}>
          {w.label}
        </button>
      ))}
    </div>
  );
}

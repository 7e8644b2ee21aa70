// Metrics as the API serves them (`metrics::sample::Sample`, `GET .../metrics/history`)
// and the series the charts draw: fetched once per window, then extended by the samples
// the event stream brings (no polling); likewise the stretches the anomaly detector flagged.
import { useEffect, useState } from 'preact/hooks';
import { call } from './api';

export interface Sample {
  at: number;
  host: {
    cpu_pct: number;
    mem_used: number;
    mem_total: number;
    disks: { mount: string; used: number; total: number }[];
    nets: { iface: string; rx_bps: number; tx_bps: number }[];
  };
  services: { name: string; cpu_pct: number; rss: number }[];
  /** The series the engine's anomaly detector flags at this sample (absent: none). */
  anomalies?: { series: { metric: string; label: string }; since: number; score: number }[];
}

/** `[unix seconds, value]`, oldest first. */
export type Series = [number, number][];

/** A stretch the anomaly detector flagged a series: unix seconds, oldest first. */
export interface Span {
  from: number;
  to: number;
  score: number;
}

export interface Window {
  label: string;
  secs: number;
  /** Seconds per point: about 60–300 points a window. */
  step: number;
}

export const WINDOWS: Window[] = [
  { label: '1m', secs: 60, step: 1 },
  { label: '5m', secs: 300, step: 2 },
  { label: '1h', secs: 3600, step: 30 },
  { label: '24h', secs: 86400, step: 600 },
];

/** A series' current value in `sample`, by its key (`host_cpu`, `service_rss:api`). */
export function valueOf(sample: Sample, key: string): number | undefined {
  const [metric, label = ''] = splitKey(key);
  const h = sample.host;
  switch (metric) {
    case 'host_cpu':
      return h.cpu_pct;
    case 'mem_used':
      return h.mem_used;
    case 'disk_used_pct': {
      const d = h.disks.find((d) => d.mount === label);
      return d && d.total > 0 ? (d.used * 100) / d.total : undefined;
    }
    case 'net_rx_bps':
      return h.nets.find((n) => n.iface === label)?.rx_bps;
    case 'net_tx_bps':
      return h.nets.find((n) => n.iface === label)?.tx_bps;
    case 'service_cpu':
      return sample.services.find((s) => s.name === label)?.cpu_pct;
    case 'service_rss':
      return sample.services.find((s) => s.name === label)?.rss;
    default:
      return undefined;
  }
}

function keyOf(key: { metric: string; label: string }): string {
  return key.label ? `${key.metric}:${key.label}` : key.metric;
}

function splitKey(key: string): [string, string?] {
  const at = key.indexOf(':');
  return at < 0 ? [key] : [key.slice(0, at), key.slice(at + 1)];
}

interface HistoryAnswer {
  step: number;
  series: {
    key: { metric: string; label: string };
    points: [number, number, number, number][];
    anomalies?: Span[];
  }[];
}

interface Seen {
  series: Map<string, Series>;
  anomalies: Map<string, Span[]>;
}

export async function history(workspace: string, keys: string[], window: Window): Promise<Seen> {
  const query = new URLSearchParams({ since: String(window.secs), step: String(window.step), series: keys.join(',') });
  const answer = await call<HistoryAnswer>(
    'GET',
    `/api/v1/workspaces/${encodeURIComponent(workspace)}/metrics/history?${query}`,
  );
  const out: Seen = { series: new Map(), anomalies: new Map() };
  for (const s of answer.series) {
    const key = keyOf(s.key);
    out.series.set(key, s.points.map(([t, avg]) => [t, avg]));
    if (s.anomalies?.length) out.anomalies.set(key, s.anomalies);
  }
  return out;
}

/** `spans` with a flag at `t` folded in: the run it belongs to (same `since`) extended, or a
 * new one; spans that ended before the window fall off. */
export function flag(spans: Span[], since: number, t: number, score: number, window: Window): Span[] {
  const last = spans[spans.length - 1];
  const next =
    last && last.from === since
      ? [...spans.slice(0, -1), { from: since, to: Math.max(last.to, t), score: Math.max(last.score, score) }]
      : [...spans, { from: since, to: t, score }];
  return next.filter((s) => s.to >= t - window.secs);
}

/** `series` with the reading at `t` folded in: blended into the last point while it is
 * within `step` of it (so a 24h window keeps its ~150 points however long the page stays
 * open), else as a new point; points older than the window fall off. */
export function extend(series: Series, t: number, value: number, window: Window): Series {
  const last = series[series.length - 1];
  let next: Series;
  if (last && t < last[0] + window.step) {
    next = series.slice();
    next[next.length - 1] = [last[0], (last[1] + value) / 2];
  } else {
    next = [...series, [t, value]];
  }
  const from = t - window.secs;
  const keep = next.findIndex((p) => p[0] >= from);
  return keep > 0 ? next.slice(keep) : next;
}

/** The series named by `keys` over `window`: history first, then each new sample. A key's
 * array is replaced only when that series changes, so memoised views of the others stay. */
export function useSeries(
  workspace: string,
  keys: string[],
  window: Window,
  sample: Sample | null,
): { series: Map<string, Series>; anomalies: Map<string, Span[]>; problem: string | null } {
  const [series, setSeries] = useState<Map<string, Series>>(new Map());
  const [anomalies, setAnomalies] = useState<Map<string, Span[]>>(new Map());
  const [problem, setProblem] = useState<string | null>(null);
  const joined = keys.join(',');
  useEffect(() => {
    if (!joined) return;
    let current = true;
    setProblem(null);
    history(workspace, keys, window)
      .then((got) => {
        if (!current) return;
        setSeries(got.series);
        setAnomalies(got.anomalies);
      })
      .catch((e) => current && setProblem(String(e.message ?? e)));
    return () => {
      current = false;
    };
  }, [workspace, joined, window]);
  useEffect(() => {
    if (!sample) return;
    const t = sample.at / 1000;
    setSeries((old) => {
      const next = new Map(old);
      for (const key of keys) {
        const value = valueOf(sample, key);
        if (value !== undefined) next.set(key, extend(old.get(key) ?? [], t, value, window));
      }
      return next;
    });
    const flagged = (sample.anomalies ?? []).filter((a) => keys.includes(keyOf(a.series)));
    if (flagged.length) {
      setAnomalies((old) => {
        const next = new Map(old);
        for (const a of flagged) {
          const key = keyOf(a.series);
          next.set(key, flag(old.get(key) ?? [], a.since, t, a.score, window));
        }
        return next;
      });
    }
  }, [sample]);
  return { series, anomalies, problem };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[u]}`;
}

export function pct(n: number): string {
  return `${n >= 10 ? Math.round(n) : n.toFixed(1)}%`;
}

export function rate(n: number): string {
  return `${bytes(n)}/s`;
}

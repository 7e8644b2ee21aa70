// The host's CPU, memory, disk and network over a chosen window, and a service's CPU and
// RSS on its page: one window switch over a few charts.
import { useState } from 'preact/hooks';
import { Chart, WindowPicker } from './charts';
import { bytes, pct, rate, Sample, useSeries, Window, WINDOWS } from './metrics';

/** The mount and interface worth a chart: `/` (else the first disk), the first interface
 * that is not loopback. */
function picks(sample: Sample | null): { mount?: string; iface?: string } {
  if (!sample) return {};
  const disks = sample.host.disks;
  const mount = disks.find((d) => d.mount === '/')?.mount ?? disks[0]?.mount;
  const iface = sample.host.nets.find((n) => n.iface !== 'lo')?.iface ?? sample.host.nets[0]?.iface;
  return { mount, iface };
}

export function HostCharts({ workspace, sample }: { workspace: string; sample: Sample | null }) {
  const [window, setWindow] = useState<Window>(WINDOWS[0]);
  const { mount, iface } = picks(sample);
  const keys = ['host_cpu', 'mem_used'];
  if (mount) keys.push(`disk_used_pct:${mount}`);
  if (iface) keys.push(`net_rx_bps:${iface}`, `net_tx_bps:${iface}`);
  const { series, anomalies, problem } = useSeries(workspace, sample ? keys : [], window, sample);
  const memTotal = sample?.host.mem_total ?? 1;
  return (
    <section class="host" aria-label={`host of ${workspace}`}>
      <h3>
        host <WindowPicker value={window} onChange={setWindow} />
      </h3>
      {problem && <p class="problem">{problem}</p>}
      {!sample && <p class="hint">No metrics sample yet.</p>}
      {sample && (
        <div class="charts">
          <Chart title="cpu" lines={[{ name: 'cpu', series: series.get('host_cpu'), anomalies: anomalies.get('host_cpu') }]} window={window} format={pct} floor={100} />
          <Chart title="memory" lines={[{ name: 'used', series: series.get('mem_used'), anomalies: anomalies.get('mem_used') }]} window={window} format={bytes} floor={memTotal} />
          {mount && (
            <Chart title={`disk ${mount}`} lines={[{ name: 'used', series: series.get(`disk_used_pct:${mount}`), anomalies: anomalies.get(`disk_used_pct:${mount}`) }]} window={window} format={pct} floor={100} />
          )}
          {iface && (
            <Chart
              title={`network ${iface}`}
              lines={[
                { name: 'rx', series: series.get(`net_rx_bps:${iface}`), anomalies: anomalies.get(`net_rx_bps:${iface}`) },
                { name: 'tx', series: series.get(`net_tx_bps:${iface}`), anomalies: anomalies.get(`net_tx_bps:${iface}`) },
              ]}
              window={window}
              format={rate}
              floor={1024}
            />
          )}
        </div>
      )}
    </section>
  );
}

export function ServiceCharts({ workspace, service, sample }: { workspace: string; service: string; sample: Sample | null }) {
  const [window, setWindow] = useState<Window>(WINDOWS[0]);
  const cpu = `service_cpu:${service}`;
  const rss = `service_rss:${service}`;
  const { series, anomalies, problem } = useSeries(workspace, [cpu, rss], window, sample);
  return (
    <section class="service-charts" aria-label="metrics">
      <h3>
        metrics <WindowPicker value={window} onChange={setWindow} />
      </h3>
      {problem && <p class="problem">{problem}</p>}
      <div class="charts">
        <Chart title="cpu" lines={[{ name: 'cpu', series: series.get(cpu), anomalies: anomalies.get(cpu) }]} window={window} format={pct} floor={1} />
        <Chart title="rss" lines={[{ name: 'rss', series: series.get(rss), anomalies: anomalies.get(rss) }]} window={window} format={bytes} floor={1024 * 1024} />
      </div>
    </section>
  );
}

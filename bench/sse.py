#!/usr/bin/env python3
"""1,000 SSE subscribers on one engine: memory per subscriber, engine CPU at idle, and the
time from a state change to the last subscriber receiving it.

usage: sse.py SOCKET ENGINE_PID SUBSCRIBERS ROUNDS IDLE_S

Each subscriber is a connection to the engine's socket reading `GET /api/v1/events`. A
round stops (or starts) the service `web` through `POST /api/v1/services/web/stop|start`
and times, for every subscriber, the arrival of the first `service` event about `web`
after the request was sent; the round ends when every subscriber has the final state.
All subscribers are read by this one process (epoll), whose own reading is included.
"""
import json, os, selectors, socket, sys, time

sock_path, pid, n, rounds, idle_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
TCK = os.sysconf('SC_CLK_TCK')


def memory_kib(pid):
    out = {}
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('Rss', 'Pss'):
                out[k] = int(v.split()[0])
    return out


def cpu_s(pid):
    with open(f'/proc/{pid}/stat') as f:
        s = f.read()
    fields = s[s.rfind(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def request(method, path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    s.sendall(f'{method} {path} HTTP/1.0\r\nHost: uc\r\nContent-Length: 0\r\n\r\n'.encode())
    data = b''
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    status = int(data.split(b' ', 2)[1])
    assert status == 200, data[:300]


class Sub:
    __slots__ = ('sock', 'buf', 'first', 'done', 'events')

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
        self.sock.sendall(b'GET /api/v1/events HTTP/1.0\r\nHost: uc\r\n\r\n')
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.first = None
        self.done = False
        self.events = 0

    def blocks(self):
        while (end := self.buf.find(b'\n\n')) >= 0:
            block = bytes(self.buf[:end])
            del self.buf[:end + 2]
            yield block


sel = selectors.DefaultSelector()
before = memory_kib(pid)
subs = []
for i in range(n):
    sub = Sub()
    subs.append(sub)
    sel.register(sub.sock, selectors.EVENT_READ, sub)


def pump(timeout, on_block):
    for key, _ in sel.select(timeout):
        sub = key.data
        try:
            data = sub.sock.recv(262144)
        except BlockingIOError:
            continue
        if not data:
            raise SystemExit('a subscriber was closed by the engine')
        sub.buf += data
        now = time.perf_counter()
        for block in sub.blocks():
            sub.events += 1
            on_block(sub, block, now)


# Every subscriber has its first snapshot.
def snapshot_seen(sub, block, now):
    if b'event: snapshot' in block:
        sub.done = True


deadline = time.time() + 60
while not all(s.done for s in subs):
    assert time.time() < deadline, 'subscribers did not get their snapshot'
    pump(1, snapshot_seen)
time.sleep(2)
# Drain what arrived meanwhile, then measure.
end = time.time() + 1
while time.time() < end:
    pump(0.1, lambda *_: None)
after = memory_kib(pid)

# Idle: only the metric samples flow.
c0, t0 = cpu_s(pid), time.time()
events0 = sum(s.events for s in subs)
end = t0 + idle_s
while time.time() < end:
    pump(0.2, lambda *_: None)
idle_cpu = (cpu_s(pid) - c0) / (time.time() - t0) * 100
idle_events = (sum(s.events for s in subs) - events0) / n

latencies, lasts = [], []
for r in range(rounds):
    verb, final = ('stop', b'"state":"stopped"') if r % 2 == 0 else ('start', b'"state":"running"')
    for s in subs:
        s.first, s.done = None, False

    def on_block(sub, block, now):
        if not block.startswith(b'id:') or b'event: service\n' not in block or b'"name":"web"' not in block:
            return
        if sub.first is None:
            sub.first = now
        if final in block:
            sub.done = True

    sent = time.perf_counter()
    request('POST', f'/api/v1/services/web/{verb}')
    deadline = time.time() + 20
    while not all(s.done for s in subs):
        assert time.time() < deadline, f'round {r}: not every subscriber saw web {verb}'
        pump(1, on_block)
    round_lat = [(s.first - sent) * 1000 for s in subs]
    latencies.extend(round_lat)
    lasts.append(max(round_lat))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


print(json.dumps({
    'subscribers': n,
    'engine_rss_kib_before': before['Rss'], 'engine_rss_kib_after': after['Rss'],
    'engine_pss_kib_before': before['Pss'], 'engine_pss_kib_after': after['Pss'],
    'kib_per_subscriber_pss': round((after['Pss'] - before['Pss']) / n, 1),
    'idle_cpu_percent_of_one_core': round(idle_cpu, 2),
    'idle_events_per_subscriber': idle_events,
    'idle_seconds': idle_s,
    'rounds': rounds,
    'latency_ms_p50_all': round(pct(latencies, 50), 2),
    'latency_ms_p99_all': round(pct(latencies, 99), 2),
    'latency_ms_last_subscriber_p50': round(pct(lasts, 50), 2),
    'latency_ms_last_subscriber_p99': round(pct(lasts, 99), 2),
    'latency_ms_last_subscriber_max': round(max(lasts), 2),
}, indent=1))

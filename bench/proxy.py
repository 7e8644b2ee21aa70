#!/usr/bin/env python3
"""Blue-green deploys through uc's built-in proxy, with their peers in the same run.

    python3 bench/proxy.py [SECONDS]     (default 5 per latency phase; UC=path/to/uc,
                                          default target/debug/uc)

The fixture app of tests/deploy.rs (python3's http.server) in a real git repository, two
services deploying it: `app` (strategy: blue-green, proxy on its own port) and `plain`
(strategy: restart, the peer). Requests are raw HTTP/1.0 GETs (a connection each), sent
on a fixed schedule from threads; a request fails when it gets no 200.

1. Failed requests at 200 req/s during a deploy, a failed gate (a commit answering 500)
   and a rollback by hand, for `app` (through the proxy) and `plain` (its port).
2. From the failed gate to the old release serving: for `app` the rollback stage's
   "serves again N ms" (the old colour never stopped: the new one is stopped in N ms) and
   the longest run of failed requests seen by the load; for `plain` the same line.
3. Proxy overhead: latency at 1,000 req/s through the proxy and straight to the serving
   colour's port, alternating phases of SECONDS each, three of each; p50/p99 of all. Once
   with a connection per request (the proxy keeps its own to the backend alive, so it can
   beat the direct path) and once with kept-alive client connections (the added hop alone).
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UC = os.environ.get("UC", os.path.join(ROOT, "target/debug/uc"))
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
WORKERS = 8


def run(args, cwd=None, env=None, check=True):
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and out.returncode != 0:
        sys.exit(f"{args} failed: {out.stdout}{out.stderr}")
    return out.stdout


def git(repo, *args):
    return run(["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args], cwd=repo).strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port):
    """One GET /up: (status, body) or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /up HTTP/1.0\r\n\r\n")
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode()
    except (OSError, IndexError, ValueError):
        return None


class Conn:
    """A kept-alive HTTP/1.1 connection: GET /up on it, reconnecting when it is closed."""

    def __init__(self, port):
        self.port, self.sock, self.buf = port, None, b""

    def get(self):
        try:
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.buf = b""
            self.sock.sendall(b"GET /up HTTP/1.1\r\nHost: bench\r\n\r\n")
            while b"\r\n\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise OSError("closed")
                self.buf += chunk
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
            while len(rest) < length:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise OSError("closed")
                rest += chunk
            self.buf = rest[length:]
            return int(head.split()[1]), rest[:length].decode()
        except (OSError, IndexError, ValueError, StopIteration):
            if self.sock:
                self.sock.close()
            self.sock = None
            return None


class Load:
    """GETs at `rate` per second until stopped; each answer with its latency and time."""

    def __init__(self, port, rate, keep_alive=False):
        self.port, self.rate, self.stopped = port, rate, threading.Event()
        self.keep_alive = keep_alive
        self.answers = [[] for _ in range(WORKERS)]
        self.began = time.monotonic()
        self.threads = [threading.Thread(target=self.work, args=(n,)) for n in range(WORKERS)]
        for t in self.threads:
            t.start()

    def work(self, n):
        every = WORKERS / self.rate
        conn = Conn(self.port) if self.keep_alive else None
        next_at = self.began + every * n / WORKERS
        while not self.stopped.is_set():
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sent = time.monotonic()
            answer = conn.get() if conn else get(self.port)
            self.answers[n].append((sent, time.monotonic() - sent, answer))
            next_at += every

    def stop(self):
        self.stopped.set()
        for t in self.threads:
            t.join()
        took = time.monotonic() - self.began
        all_ = sorted(a for answers in self.answers for a in answers)
        return all_, took


def failed(answers):
    return sum(1 for _, _, a in answers if not a or a[0] != 200)


def longest_outage_ms(answers):
    """From the first failed request of the longest run of failures to the next success."""
    longest, start = 0.0, None
    for sent, _, a in answers:
        if not a or a[0] != 200:
            start = sent if start is None else start
        elif start is not None:
            longest, start = max(longest, sent - start), None
    return longest * 1000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] * 1000


def commit(repo, version, mode):
    for name, text in (("version", version), ("mode", mode)):
        with open(os.path.join(repo, name), "w") as f:
            f.write(text)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", version)
    return git(repo, "rev-parse", "HEAD")


def serves_again(d):
    log = next((s["log"] for s in d["stages"] if s["stage"] == "rollback"), "")
    line = next((l for l in log.splitlines() if "serves again" in l), None)
    return int(line.split(" serves again ")[1].split()[0]) if line else None


def main():
    tmp = tempfile.mkdtemp()
    repo = os.path.join(tmp, "acme/app")
    os.makedirs(repo)
    git(repo, "init", "--quiet", "--initial-branch=main")
    with open(os.path.join(ROOT, "tests/fixtures/deploy/app.py")) as src, open(os.path.join(repo, "app.py"), "w") as dst:
        dst.write(src.read())
    listen, blue, green, plain = (free_port() for _ in range(4))
    ws = os.path.join(tmp, "ws")
    os.makedirs(ws)
    gate = "gate: { passes: 1, interval: 100ms, timeout: 3s }"
    with open(os.path.join(ws, "univers.yaml"), "w") as f:
        f.write(f"""workspace: bench-proxy
services:
  app:
    command: exec python3 app.py
    readiness: {{ http: http://127.0.0.1:{listen}/up }}
    deploy:
      repo: {repo}
      strategy: blue-green
      proxy: {{ listen: {listen}, ports: [{blue}, {green}] }}
      drain: 10s
      {gate}
  plain:
    command: exec python3 app.py
    env: {{ PORT: {plain} }}
    readiness: {{ http: http://127.0.0.1:{plain}/up }}
    deploy:
      repo: {repo}
      {gate}
""")
    env = dict(os.environ, UC_STATE_DIR=os.path.join(tmp, "state"), UC_TMUX_SOCKET=f"uc-bench-proxy-{os.getpid()}")
    env.pop("TMUX", None)
    uc = lambda *a, check=True: run([UC, "-f", os.path.join(ws, "univers.yaml"), *a], cwd=ws, env=env, check=check)
    ports = {"app": listen, "plain": plain}
    try:
        commit(repo, "v1", "ok")
        for service in ports:
            uc("deploy", service)
        commit(repo, "v2", "ok")
        print("failed requests at 200 req/s (each a connection of its own):")
        for what, args, bad in (
            ("deploy", ["deploy", "{s}", "--json"], None),
            ("failed gate", ["deploy", "{s}", "--json"], "500"),
            ("rollback by hand", ["deploy", "rollback", "{s}", "--json"], None),
        ):
            if bad:
                commit(repo, "v3", bad)
            for service, port in ports.items():
                load = Load(port, 200)
                out = uc(*[a.replace("{s}", service) for a in args], check=False)
                answers, took = load.stop()
                d = json.loads(out)
                again = serves_again(d)
                again = f", rollback stage: serves again {again} ms after the failure" if again is not None else ""
                print(f"  {what:<17} {service:<6} ({d['state']}): {failed(answers)} failed of {len(answers)} "
                      f"({len(answers) / took:.0f} req/s), longest outage {longest_outage_ms(answers):.0f} ms{again}")
        # The serving colour's port, straight.
        status = json.loads(uc("deploy", "status", "app", "--json"))
        serving = status[0]["colours"]["serving"]
        direct = blue if serving == "blue" else green
        for keep_alive in (False, True):
            lat = {"proxy": [], "direct": []}
            fails = {"proxy": 0, "direct": 0}
            rates = {"proxy": [], "direct": []}
            for _ in range(3):
                for name, port in (("direct", direct), ("proxy", listen)):
                    load = Load(port, 1000, keep_alive)
                    time.sleep(SECONDS)
                    answers, took = load.stop()
                    lat[name] += [l for _, l, _ in answers]
                    fails[name] += failed(answers)
                    rates[name].append(len(answers) / took)
            how = "kept-alive connections" if keep_alive else "a connection per request"
            print(f"latency at 1,000 req/s, {how} ({SECONDS:.0f} s x 3 phases each, alternating; the backend is {serving}):")
            for name in ("direct", "proxy"):
                xs = lat[name]
                print(f"  {name:<6}: p50 {pct(xs, 50):.2f} ms, p99 {pct(xs, 99):.2f} ms, n={len(xs)}, "
                      f"{statistics.mean(rates[name]):.0f} req/s, {fails[name]} failed")
            print(f"  proxy overhead: p50 {pct(lat['proxy'], 50) - pct(lat['direct'], 50):+.2f} ms, "
                  f"p99 {pct(lat['proxy'], 99) - pct(lat['direct'], 99):+.2f} ms")
    finally:
        uc("down", check=False)
        run(["tmux", "-L", env["UC_TMUX_SOCKET"], "kill-server"], check=False)


main()

#!/usr/bin/env python3
"""The live terminal's round trip, run by bench/terminal.sh: a line typed into the `echo`
service's window until its answer comes back, ROUNDS times each way, in the same run:
  uc:   POST /api/v1/services/echo/terminal/keys through `uc serve`, the answer read off the
        terminal's SSE stream (what the web page does);
  tmux: `tmux send-keys` then `tmux capture-pane` in a loop until the answer shows (what a
        script without uc does; the peer).
usage: terminal.py PORT TOKEN TMUX_SOCKET WINDOW ROUNDS
"""
import base64
import http.client
import json
import subprocess
import sys
import time

port, token, socket, window, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
auth = {"Authorization": f"Bearer {token}"}


def stream():
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
    conn.request("GET", "/api/v1/services/echo/terminal", headers=auth)
    response = conn.getresponse()
    assert response.status == 200, response.status
    return response


def events(response):
    """(event, data) pairs off the stream."""
    event, data = None, ""
    while True:
        line = response.fp.readline().decode().rstrip("\r\n")
        if line == "":
            if event:
                yield event, data
            event, data = None, ""
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].lstrip()


def uc_round(feed, n):
    answer = f"echo: uc{n}".encode()
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
    start = time.perf_counter()
    body = json.dumps({"text": f"uc{n}\r"})
    conn.request("POST", "/api/v1/services/echo/terminal/keys", body, {**auth, "Content-Type": "application/json"})
    assert conn.getresponse().status == 204
    seen = b""
    for event, data in feed:
        if event == "output":
            seen += base64.b64decode(data)
            if answer in seen:
                return time.perf_counter() - start


def tmux(*args):
    return subprocess.run(["tmux", "-L", socket, *args], check=True, capture_output=True, text=True).stdout


def tmux_round(n):
    answer = f"echo: tx{n}"
    start = time.perf_counter()
    tmux("send-keys", "-t", window, "-l", f"tx{n}")
    tmux("send-keys", "-t", window, "Enter")
    while answer not in tmux("capture-pane", "-p", "-t", window):
        pass
    return time.perf_counter() - start


def summary(times):
    times = sorted(t * 1000 for t in times)
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    return f"p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms, max {times[-1]:.2f} ms"


feed = events(stream())
next(feed)  # the screen
uc = [uc_round(feed, n) for n in range(rounds)]
peer = [tmux_round(n) for n in range(rounds)]
print(f"(a) uc terminal (POST keys via uc serve, answer off the SSE stream), {rounds} rounds: {summary(uc)}")
print(f"(a) tmux send-keys + capture-pane loop (peer), {rounds} rounds: {summary(peer)}")

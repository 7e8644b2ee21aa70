#!/usr/bin/env python3
"""Restart latency of one supervised service, the same way for every supervisor.

usage: restart_trials.py LABEL STARTED_FILE TRIALS PID_COMMAND...

The service writes `date +%s%N` to STARTED_FILE before exec'ing a long sleep. Each trial
asks PID_COMMAND for the service's PID, `kill -9`s it and waits until STARTED_FILE holds a
new time: latency = that time - the time of the kill (both from the same clock), so how
fast this script polls does not matter. Prints one line of percentiles.
"""
import math, os, signal, subprocess, sys, time

label, started, trials, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ''


times = []
for _ in range(trials):
    deadline = time.monotonic() + 10
    while True:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        if out.isdigit() and int(out) > 0 and os.path.exists(f'/proc/{out}'):
            pid = int(out)
            break
        if time.monotonic() > deadline:
            sys.exit(f'{label}: no pid from {cmd}')
        time.sleep(0.05)
    before = read(started)
    killed = time.time_ns()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while True:
        now = read(started)
        if now != before and now.endswith('\n'):
            break
        if time.monotonic() > deadline:
            sys.exit(f'{label}: no restart within 10 s')
        time.sleep(0.0002)
    times.append((int(now) - killed) / 1e6)
    # Longer than a supervisor's "crashed too soon" window would make every trial a crash
    # loop; both supervisors are configured to restart at once regardless.
    time.sleep(0.2)

times.sort()
pct = lambda p: times[min(len(times), max(1, math.ceil(len(times) * p))) - 1]
print(f'{label:<6} {len(times):>6} {pct(0.5):>8.1f} {pct(0.9):>8.1f} {pct(0.99):>8.1f} {times[-1]:>8.1f}')

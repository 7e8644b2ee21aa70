"""The floor under any tmux-based restart: kill -9 of a pane's process, then at once (no
detection, no decision) `respawn-pane` through a control-mode client, until the new process
runs (bench/stamp.c writes its start time). Whatever uc adds to a restart sits on top.

    cc -O2 -o /tmp/stamp bench/stamp.c && python3 bench/restart_floor.py /tmp/stamp [TRIALS]

Runs its own tmux server on a private socket.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time


def main() -> None:
    stamp, trials = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50
    socket = f"uc-floor-{os.getpid()}"
    with tempfile.TemporaryDirectory() as work:
        started = os.path.join(work, "started")
        service = f"exec {stamp} {started}"
        subprocess.run(["tmux", "-L", socket, "new", "-d", "-s", "s", service], check=True)
        try:
            measure(socket, service, started, trials)
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)


def measure(socket: str, service: str, started: str, trials: int) -> None:
    client = subprocess.Popen(
        ["tmux", "-L", socket, "-C", "attach", "-t", "s", "-f", "no-output,ignore-size"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
    )

    def block() -> list[str]:
        lines = []
        while True:
            line = client.stdout.readline().decode()
            if line.startswith(("%end", "%error")):
                return lines
            if not line.startswith("%"):
                lines.append(line)

    def command(text: str) -> list[str]:
        client.stdin.write((text + "\n").encode())
        return block()

    block()  # the attach's own answer
    command("set -g remain-on-exit on")
    quoted = service.replace("'", "'\\''")
    times = []
    for _ in range(trials):
        time.sleep(0.1)
        pid = int(command("display -p -t s:0 '#{pane_pid}'")[0])
        before = read(started)
        killed = time.time_ns()
        os.kill(pid, signal.SIGKILL)
        command(f"respawn-pane -k -t s:0 '{quoted}'")
        while (now := read(started)) == before or not now.endswith("\n"):
            time.sleep(0.0002)
        times.append((int(now) - killed) / 1e6)
    client.kill()
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"tmux floor: {trials} trials, p50 {pick(0.5):.1f} ms, p90 {pick(0.9):.1f} ms, "
          f"p99 {pick(0.99):.1f} ms, max {times[-1]:.1f} ms")


def read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


if __name__ == "__main__":
    main()

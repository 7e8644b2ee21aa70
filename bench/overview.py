#!/usr/bin/env python3
"""The overview's figures: 10 workspaces x 10 services listed in a projects file, all up.
  refresh: the TUI's CPU (its process, ../shared/bench/measure.py) over a window while the
           overview shows, then while one workspace's screen shows (the overview's rows are
           still read every second behind it); the issue's target is <= 1 % of a core;
  switch:  `:ctx NAME` typed into the TUI until the named workspace's services are on screen
           (capture-pane polled every 2 ms), ROUNDS times across the workspaces.
Each workspace runs its own engine on its own tmux server; the TUI runs in a private one.
usage: bench/overview.py UC_BINARY [WINDOW_S] [ROUNDS]
(build with `cargo build --profile bench --bin uc`, which writes target/release/uc)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

uc = os.path.abspath(sys.argv[1])
window = float(sys.argv[2]) if len(sys.argv) > 2 else 30
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
WORKSPACES, SERVICES = 10, 10
here = os.path.dirname(os.path.abspath(__file__))
measure = os.path.join(here, "..", "..", "shared", "bench", "measure.py")
if not os.path.exists(measure):
    measure = "/work/wt/shared/bench/measure.py"

tmp = tempfile.mkdtemp(prefix="uc-overview-bench-")
home = os.path.join(tmp, "home")
os.makedirs(home)
env = {
    **{k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE", "UC_TMUX_SOCKET")},
    "HOME": home,
    "XDG_CONFIG_HOME": os.path.join(home, ".config"),
    "UC_STATE_DIR": os.path.join(tmp, "state"),
}
tag = f"ovb{os.getpid()}"
names = [f"{tag}-w{i}" for i in range(WORKSPACES)]
screen = f"{tag}-screen"


def run(*args, check=True):
    return subprocess.run(args, env=env, cwd=home, check=check, capture_output=True, text=True)


def tmux(*args):
    return run("tmux", "-L", screen, *args).stdout


def text():
    return tmux("capture-pane", "-p")


def wait(pred, what, timeout=60, every=0.002):
    start = time.perf_counter()
    while True:
        t = text()
        if pred(t):
            return time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            sys.exit(f"timed out waiting for {what}:\n{t}")
        time.sleep(every)


def cleanup():
    for name in names:
        run("tmux", "-L", f"uc-{name}", "kill-server", check=False)
    run("tmux", "-L", screen, "kill-server", check=False)


try:
    for i, name in enumerate(names):
        d = os.path.join(tmp, name)
        os.makedirs(d)
        services = "".join(
            f"  s{j}:\n    command: exec sleep {6000 + i * 100 + j}\n" for j in range(SERVICES)
        )
        with open(os.path.join(d, "univers.yaml"), "w") as f:
            f.write(f"workspace: {name}\nservices:\n{services}")
        run(uc, "project", "add", d)
        run(uc, "-f", os.path.join(d, "univers.yaml"), "up")
    rows = json.loads(run(uc, "ps", "--json").stdout)
    assert all(r["running"] == SERVICES for r in rows), rows

    command = " ".join(f"{k}='{v}'" for k, v in env.items() if k in ("HOME", "XDG_CONFIG_HOME", "UC_STATE_DIR"))
    run("tmux", "-L", screen, "-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50",
        "-c", home, f"env {command} {uc}")
    full = f"{SERVICES}/{SERVICES}"
    wait(lambda t: sum(full in line for line in t.splitlines()) == WORKSPACES, "the overview", every=0.05)
    pid = tmux("display", "-p", "#{pane_pid}").strip()

    def cpu(label):
        out = subprocess.run(["python3", measure, label, pid, "3", str(window)],
                             check=True, capture_output=True, text=True, env={**os.environ, "NOTREE": "1"})
        return json.loads(out.stdout)

    overview = cpu("overview shown")

    def open_ws(name):
        tmux("send-keys", ":")
        tmux("send-keys", "-l", f"ctx {name}")
        tmux("send-keys", "Enter")
        return wait(lambda t: t.splitlines()[0].find(name) >= 0 and " s9 " in t and "running" in t,
                    f"workspace {name}")

    open_ws(names[0])
    workspace = cpu("a workspace shown")
    times = [open_ws(names[(n + 1) % WORKSPACES]) * 1000 for n in range(rounds)]
    times.sort()
    print(json.dumps({
        "workspaces": WORKSPACES,
        "services_each": SERVICES,
        "tui_cpu_pct_overview": overview["tree"]["cpu_pct"],
        "tui_cpu_pct_workspace": workspace["tree"]["cpu_pct"],
        "tui_wakeups_per_s_overview": overview["tree"]["wakeups_per_s"],
        "tui_rss_mib": workspace["tree"]["rss_mib"],
        "window_s": window,
        "switch_ms_p50": round(statistics.median(times), 1),
        "switch_ms_max": round(times[-1], 1),
        "switch_rounds": rounds,
    }))
    tmux("send-keys", "q")
finally:
    cleanup()

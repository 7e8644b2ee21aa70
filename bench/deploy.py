#!/usr/bin/env python3
"""Deploy and rollback times of the fixture app (tests/fixtures/deploy/app.py), with the
same work done by hand in the same run as the peer.

    python3 bench/deploy.py [ROUNDS]        (default 10; UC=path/to/uc, default target/debug/uc)

uc: `uc deploy app` of a healthy commit (fetch → export → switch + restart → gate of one
pass → done; no build), from the deploy's `started_at` to `ended_at`; and, for a commit
answering 500, the rollback stage's "serves again N ms after the failure".
Peer (by hand, Capistrano's steps in a shell): `git fetch` into a bare mirror, `git archive
| tar -x`, `ln -s` + `mv -T` over `current`, `uc restart app`, then GET /up every 50 ms until
the new version answers; and for the rollback, `mv -T` back + `uc restart` + the same wait.
Everything runs on a private tmux server and a temp state dir.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UC = os.environ.get("UC", os.path.join(ROOT, "target/debug/uc"))
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


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


def wait_for(port, version):
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/up", timeout=1) as r:
                if r.read().decode() == version:
                    return
        except Exception:
            pass
        time.sleep(0.05)


def commit(repo, version, mode):
    for name, text in (("version", version), ("mode", mode)):
        with open(os.path.join(repo, name), "w") as f:
            f.write(text)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", version)
    return git(repo, "rev-parse", "HEAD")


def main():
    tmp = tempfile.mkdtemp()
    repo = os.path.join(tmp, "acme/app")
    os.makedirs(repo)
    git(repo, "init", "--quiet", "--initial-branch=main")
    with open(os.path.join(ROOT, "tests/fixtures/deploy/app.py")) as src, open(os.path.join(repo, "app.py"), "w") as dst:
        dst.write(src.read())
    port = free_port()
    ws = os.path.join(tmp, "ws")
    os.makedirs(ws)
    with open(os.path.join(ws, "univers.yaml"), "w") as f:
        f.write(f"""workspace: bench-deploy
services:
  app:
    command: exec python3 app.py
    env: {{ PORT: {port} }}
    readiness: {{ http: http://127.0.0.1:{port}/up }}
    deploy:
      repo: {repo}
      gate: {{ passes: 1, interval: 100ms, timeout: 10s }}
  byhand:
    command: exec python3 app.py
    cwd: {tmp}/byhand/current
    env: {{ PORT: {port + 1 if port < 65535 else port - 1} }}
""")
    env = dict(os.environ, UC_STATE_DIR=os.path.join(tmp, "state"), UC_TMUX_SOCKET=f"uc-bench-deploy-{os.getpid()}")
    env.pop("TMUX", None)
    uc = lambda *a, check=True: run([UC, "-f", os.path.join(ws, "univers.yaml"), *a], cwd=ws, env=env, check=check)
    byhand_port = port + 1 if port < 65535 else port - 1
    mirror, byhand = os.path.join(tmp, "byhand/repo.git"), os.path.join(tmp, "byhand")
    os.makedirs(os.path.join(byhand, "releases"))
    git(byhand, "init", "--quiet", "--bare", mirror)
    try:
        commit(repo, "v0", "ok")
        uc("deploy", "app")
        ours, theirs, ours_back, theirs_back = [], [], [], []
        previous = None
        for n in range(1, ROUNDS + 1):
            sha = commit(repo, f"v{n}", "ok")
            d = json.loads(uc("deploy", "app", "--json"))
            assert d["state"] == "succeeded", d
            ours.append(d["ended_at"] - d["started_at"])
            # The same steps by hand, for the `byhand` service.
            began = time.monotonic()
            run(["git", "--git-dir", mirror, "fetch", "--quiet", repo, "+refs/heads/*:refs/heads/*"])
            release = os.path.join(byhand, "releases", f"{n}-{sha[:7]}")
            os.makedirs(release)
            subprocess.run(f"git --git-dir {mirror} archive {sha} | tar -x -C {release}", shell=True, check=True)
            os.symlink(release, os.path.join(byhand, "current.new"))
            os.replace(os.path.join(byhand, "current.new"), os.path.join(byhand, "current"))
            uc("restart", "byhand")
            wait_for(byhand_port, f"v{n}")
            theirs.append((time.monotonic() - began) * 1000)
            if previous:
                bad = commit(repo, f"bad{n}", "500")
                d = json.loads(uc("deploy", "app", "--json", check=False))
                assert d["state"] == "rolled_back", d
                log = next(s["log"] for s in d["stages"] if s["stage"] == "rollback")
                line = next(l for l in log.splitlines() if "serves again" in l)
                ours_back.append(int(line.split(" serves again ")[1].split()[0]))
                git(repo, "revert", "--no-edit", "--quiet", bad)
                began = time.monotonic()
                os.symlink(previous, os.path.join(byhand, "current.new"))
                os.replace(os.path.join(byhand, "current.new"), os.path.join(byhand, "current"))
                uc("restart", "byhand")
                wait_for(byhand_port, f"v{n - 1}")
                theirs_back.append((time.monotonic() - began) * 1000)
                os.symlink(release, os.path.join(byhand, "current.new"))
                os.replace(os.path.join(byhand, "current.new"), os.path.join(byhand, "current"))
                uc("restart", "byhand")
                wait_for(byhand_port, f"v{n}")
            previous = release
        q = lambda xs: f"median {statistics.median(xs):.0f} ms, max {max(xs):.0f} ms (n={len(xs)})"
        print(f"deploy, fetch to done (uc deploy):        {q(ours)}")
        print(f"deploy by hand (fetch, archive, mv, restart, GET): {q(theirs)}")
        print(f"failed gate to old release serving (uc):  {q(ours_back)}")
        print(f"rollback by hand (mv, restart, GET):      {q(theirs_back)}")
    finally:
        uc("down", check=False)
        run(["tmux", "-L", env["UC_TMUX_SOCKET"], "kill-server"], check=False)


main()

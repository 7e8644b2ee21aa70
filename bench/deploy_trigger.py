#!/usr/bin/env python3
"""Time from `git push` to the new release serving through the installed post-receive hook,
against `uc deploy app` by hand, in the same run on the same engine.

    python3 bench/deploy_trigger.py [ROUNDS]   (default 10; UC=path/to/uc, default target/debug/uc)

The fixture app (tests/fixtures/deploy/app.py) is deployed from a bare repository with
`uc deploy hook install app`; a gate of one pass. Hook: from just before `git push origin
main` of a new commit until GET /up answers the new version (polled every 20 ms). By hand:
the commit is pushed with the hook removed, then from just before `uc deploy app` until the
same answer.
Rounds alternate hook / by hand. Everything runs on a private tmux server and a temp state
dir.
"""
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
    return out.stdout + out.stderr


def git(repo, *args, env=None):
    cmd = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args]
    return run(cmd, cwd=repo, env=env).strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, version, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/up", timeout=1) as r:
                if r.read().decode() == version:
                    return
        except Exception:
            pass
        time.sleep(0.02)
    sys.exit(f"v{version} never served")


def commit(repo, version):
    for name, text in (("version", version), ("mode", "ok")):
        with open(os.path.join(repo, name), "w") as f:
            f.write(text)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", version)


def main():
    tmp = tempfile.mkdtemp()
    repo, bare = os.path.join(tmp, "acme/app"), os.path.join(tmp, "app.git")
    os.makedirs(repo)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(tmp, "init", "--quiet", "--bare", bare)
    git(repo, "remote", "add", "origin", bare)
    with open(os.path.join(ROOT, "tests/fixtures/deploy/app.py")) as src, open(
        os.path.join(repo, "app.py"), "w"
    ) as dst:
        dst.write(src.read())
    port = free_port()
    ws = os.path.join(tmp, "ws")
    os.makedirs(ws)
    with open(os.path.join(ws, "univers.yaml"), "w") as f:
        f.write(f"""workspace: bench-trigger
services:
  app:
    command: exec python3 app.py
    env: {{ PORT: {port} }}
    readiness: {{ http: http://127.0.0.1:{port}/up }}
    deploy:
      repo: {bare}
      gate: {{ passes: 1, interval: 100ms, timeout: 10s }}
""")
    env = dict(os.environ, UC_STATE_DIR=os.path.join(tmp, "state"),
               UC_TMUX_SOCKET=f"uc-bench-trigger-{os.getpid()}")
    env.pop("TMUX", None)
    uc = lambda *a, check=True: run([UC, "-f", os.path.join(ws, "univers.yaml"), *a],
                                    cwd=ws, env=env, check=check)
    try:
        commit(repo, "v0")
        git(repo, "push", "--quiet", "origin", "main")
        uc("deploy", "app")
        hook, by_hand = [], []
        for n in range(1, ROUNDS * 2 + 1):
            version = f"v{n}"
            commit(repo, version)
            if n % 2:
                uc("deploy", "hook", "install", "app")
                began = time.monotonic()
                said = git(repo, "push", "origin", "main")
                wait_for(port, version)
                hook.append((time.monotonic() - began) * 1000)
                assert "uc: deploy" in said, said
            else:
                uc("deploy", "hook", "remove", "app")
                git(repo, "push", "--quiet", "origin", "main")
                began = time.monotonic()
                uc("deploy", "app")
                wait_for(port, version)
                by_hand.append((time.monotonic() - began) * 1000)
            # The next round starts once this deploy has ended (one per service at a time).
            while "running" in uc("deploy", "status"):
                time.sleep(0.02)
        q = lambda xs: f"median {statistics.median(xs):.0f} ms, max {max(xs):.0f} ms (n={len(xs)})"
        print(f"git push → new release serving (hook):  {q(hook)}")
        print(f"uc deploy app → new release serving:     {q(by_hand)}")
    finally:
        uc("down", check=False)
        run(["tmux", "-L", env["UC_TMUX_SOCKET"], "kill-server"], check=False)


main()

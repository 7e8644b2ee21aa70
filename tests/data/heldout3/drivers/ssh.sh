#!/bin/sh
# ssh -v to loopback ports: nothing listening, an HTTP-speaking server, a server that sends an
# SSH banner then closes or sends garbage; no keys, no config, no known_hosts.
ready=$(mktemp -u)
python3 - "$ready" <<'PY' &
import socket, sys, threading
def serve(port, reply):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen()
    def loop():
        while True:
            c, _ = s.accept(); c.sendall(reply); c.recv(4096); c.close()
    threading.Thread(target=loop, daemon=True).start()
serve(18576, b"HTTP/1.0 400 Bad Request\r\n\r\n")
serve(18578, b"SSH-2.0-FakeServer_1.0\r\n")
serve(18579, b"SSH-2.0-FakeServer_1.0\r\n" + b"\x00\x00\x00\x0c\x0a\x14garbagegarb")
serve(18580, b"SSH-1.5-OldServer\r\n")
open(sys.argv[1], "w").close()
threading.Event().wait()
PY
srv=$!
until [ -e "$ready" ]; do sleep 0.1; done
opts="-F /dev/null -o BatchMode=yes -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3"
ssh -v $opts -p 18577 nobody@127.0.0.1 true
ssh -v $opts -p 18576 nobody@127.0.0.1 true
ssh -v $opts -p 18578 nobody@127.0.0.1 true
ssh -vv $opts -p 18579 nobody@127.0.0.1 true
ssh -v $opts -p 18580 nobody@127.0.0.1 true
ssh -vv $opts -p 18577 -o StrictHostKeyChecking=no nobody@127.0.0.1 true
ssh -v $opts -p 18577 nobody@nosuchhost.invalid true
kill $srv; rm -f "$ready"

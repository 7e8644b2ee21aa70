#!/bin/sh
# tcpdump -v on the loopback interface while a Python http.server on 127.0.0.1:8080 (its own
# log discarded) answers a GET and a 404 over keep-alive, a port with nothing listening
# refuses, a DNS query goes to 127.0.0.1:53 with no server, and a UDP datagram goes to a
# closed port. The log is tcpdump's stdout and stderr.
# Usage: tcpdump.sh LOGFILE
log=$1
w=$(mktemp -d); cd "$w"; echo hello > index.txt
python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &
web=$!
until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8080)).close()' 2>/dev/null; do sleep 0.1; done
tcpdump -i lo -n -v -l 'tcp port 8080 or tcp port 18585 or udp port 53 or udp port 18586 or icmp' > "$log" 2>&1 &
td=$!
sleep 2
python3 - <<'PY'
import http.client, socket
c = http.client.HTTPConnection("127.0.0.1", 8080)
for path in ("/index.txt", "/missing"):
    c.request("GET", path); c.getresponse().read()
c.close()
try:
    socket.create_connection(("127.0.0.1", 18585))
except ConnectionRefusedError:
    pass
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
query = bytes.fromhex("1a2b01000001000000000000") + b"\x07example\x04test\x00\x00\x01\x00\x01"
s.sendto(query, ("127.0.0.1", 53))
s.sendto(b"ping", ("127.0.0.1", 18586))
PY
sleep 1; kill -INT $td; wait $td; kill $web
cd /; rm -rf "$w"

#!/bin/sh
# An rsync daemon on 127.0.0.1 with three modules (read-only, writable, denied to loopback)
# and transfer logging; clients list, pull, push, fail. The log is the daemon's --log-file.
# Usage: rsyncd.sh LOGFILE
log=$1
w=$(mktemp -d); cd "$w"; mkdir pub pub/docs up cli
for f in a.txt b.txt docs/c.txt docs/d.txt; do echo "file $f" > pub/$f; done
cat > rsyncd.conf <<CONF
port = 18583
address = 127.0.0.1
use chroot = no
uid = root
gid = root
pid file = $w/rsyncd.pid
transfer logging = yes
log file = $log
max verbosity = 2
[pub]
    path = $w/pub
    comment = public files
    read only = yes
[up]
    path = $w/up
    read only = no
    max connections = 1
    lock file = $w/up.lock
[closed]
    path = $w/pub
    hosts deny = 127.0.0.1
CONF
rsync --daemon --no-detach --config=rsyncd.conf &
d=$!
until rsync rsync://127.0.0.1:18583/ >/dev/null 2>&1; do sleep 0.1; done
R="rsync -q"  # clients' own messages go to stderr, not the log
$R rsync://127.0.0.1:18583/
$R -r rsync://127.0.0.1:18583/pub/ cli/
echo changed >> pub/b.txt
$R -r rsync://127.0.0.1:18583/pub/ cli/
$R rsync://127.0.0.1:18583/pub/missing.txt cli/
$R -r cli/ rsync://127.0.0.1:18583/pub/
$R -r cli/ rsync://127.0.0.1:18583/up/
rm cli/a.txt; $R -r --delete cli/ rsync://127.0.0.1:18583/up/  # while the last push holds the lock
sleep 1; $R -r --delete cli/ rsync://127.0.0.1:18583/up/         # the retry
sleep 1; $R -r -vv cli/ rsync://127.0.0.1:18583/up/sub/
sleep 1; $R -r rsync://127.0.0.1:18583/up/ cli2/
$R rsync://127.0.0.1:18583/closed/
$R rsync://127.0.0.1:18583/nosuch/
python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 18583)); s.recv(100); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.recv(100)'  # a web client
python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 18583)); s.close()'  # a port scan
$R -r rsync://127.0.0.1:18583/pub/docs cli/
kill $d; wait $d
cd /; rm -rf "$w"

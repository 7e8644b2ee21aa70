#!/bin/sh
# curl -v against a python http.server on loopback; the server's own log is discarded.
dir=$(mktemp -d); echo hello > "$dir/index.txt"; mkdir "$dir/sub"
python3 -m http.server 18573 --bind 127.0.0.1 --directory "$dir" >/dev/null 2>&1 &
srv=$!
until curl -s -o /dev/null http://127.0.0.1:18573/; do :; done
curl -sv -o /dev/null http://127.0.0.1:18573/index.txt
curl -sv -o /dev/null http://127.0.0.1:18573/missing.html
curl -sv -I http://127.0.0.1:18573/sub/ -o /dev/null
curl -sv -o /dev/null -X POST -d 'a=1' http://127.0.0.1:18573/index.txt
curl -sv -o /dev/null http://127.0.0.1:18573/sub
curl -sv -o /dev/null -H 'Range: bytes=0-2' http://127.0.0.1:18573/index.txt
curl -sv -o /dev/null http://127.0.0.1:18574/
kill $srv
rm -r "$dir"

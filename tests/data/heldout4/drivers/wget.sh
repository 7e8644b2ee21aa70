#!/bin/sh
# wget -d against a Python http.server on loopback (its own log discarded): a 404, a 301
# that is followed, a refused port with retries. All of wget's stderr goes to the log.
dir=$(mktemp -d); cd "$dir"; mkdir site site/docs
printf '<a href="a.txt">a</a>\n' > site/docs/index.html
python3 -m http.server 18581 --bind 127.0.0.1 --directory site >/dev/null 2>&1 &
srv=$!
until wget -q -O /dev/null http://127.0.0.1:18581/docs/; do sleep 0.1; done
mkdir out; cd out
W="wget -d --no-config"
$W http://127.0.0.1:18581/missing.html
$W -O docs.html http://127.0.0.1:18581/docs
$W --tries=2 --waitretry=0 --retry-connrefused http://127.0.0.1:18582/x
kill $srv; cd /; rm -rf "$dir"

#!/bin/sh
# openssl s_server -state -www on 127.0.0.1 with a throwaway self-signed key (made here and
# deleted), asking for a client certificate (-verify 1); clients: TLS 1.3, TLS 1.2 with an
# HTTP request, a client certificate, plain HTTP, no shared cipher, TLS 1.1, a bare TCP
# close, a resumed session. The log is the server's stdout and stderr.
# Usage: openssl.sh LOGFILE
log=$1
w=$(mktemp -d); cd "$w"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
    -out srv.pem -days 1 -subj /CN=localhost 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout cli.key -out cli.pem -days 1 \
    -subj '/O=Test/CN=client one' 2>/dev/null
openssl s_server -accept 127.0.0.1:18584 -cert srv.pem -key srv.key -state -www -verify 1 \
    > "$log" 2>&1 &
srv=$!
until grep -q ACCEPT "$log"; do sleep 0.1; done
C="timeout 5 openssl s_client -connect 127.0.0.1:18584"
echo | $C >/dev/null 2>&1
sleep 0.3; printf 'GET / HTTP/1.0\r\n\r\n' | $C -tls1_2 >/dev/null 2>&1
sleep 0.3; echo | $C -cert cli.pem -key cli.key >/dev/null 2>&1
sleep 0.3; python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 18584)); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.recv(100)'
sleep 0.3; echo | $C -tls1_2 -cipher AES128-SHA256 >/dev/null 2>&1
sleep 0.3; echo | $C -tls1_1 >/dev/null 2>&1
sleep 0.3; python3 -c 'import socket; socket.create_connection(("127.0.0.1", 18584)).close()'
sleep 0.3; printf 'GET /stats HTTP/1.0\r\n\r\n' | $C -tls1_2 -sess_out sess.pem >/dev/null 2>&1
sleep 0.3; printf 'GET / HTTP/1.0\r\n\r\n' | $C -tls1_2 -sess_in sess.pem >/dev/null 2>&1
sleep 0.3; kill $srv
cd /; rm -rf "$w"

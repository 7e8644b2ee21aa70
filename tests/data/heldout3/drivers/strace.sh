#!/bin/sh
# strace -f of a small shell script doing file and process things (C locale, so no locale files).
cd "$(mktemp -d)"
LC_ALL=C strace -f -e trace=execve,openat,access,mkdir,unlink,unlinkat,rename,renameat2,chdir,exit_group,wait4,kill -o "$1" \
  sh -c 'mkdir work; echo x > work/a; mv work/a work/b; cat work/b missing >/dev/null; rm work/b; cd /nonexistent; ls -d work >/dev/null; sleep 5 & kill $!; wait; exit 3'

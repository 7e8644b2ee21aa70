#!/bin/sh
# gdb -batch over drivers/crash.c (gcc -g -O0 -pthread): a breakpoint hit in threads, a clean
# run, a segfault, an abort, a SIGFPE, an exit code, a missing file, a bad command.
# gdb's stdout and stderr, and the program's, all go to the log.
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d); cd "$w"
cp "$here/crash.c" . && gcc -g -O0 -pthread -o crash crash.c
G="gdb -q -nx -batch"
$G -ex 'break step' -ex run -ex bt -ex 'info threads' -ex continue -ex 'info args' -ex 'delete' -ex continue ./crash 2>&1
$G -ex 'run' -ex 'bt' ./crash 2>&1
$G -ex 'run' -ex 'bt' -ex 'info registers rip' -ex 'frame 1' -ex 'info locals' --args ./crash segv 2>&1
$G -ex 'run' -ex 'bt' --args ./crash abort 2>&1
$G -ex 'run' -ex 'bt full' --args ./crash fpe 2>&1
$G -ex 'run' -ex 'print $_exitcode' --args ./crash x 2>&1
$G -ex 'run' ./nosuchprog 2>&1
$G -ex 'break nosuchfunc' -ex 'frobnicate' -ex 'print nosuchvar' ./crash 2>&1
cd /; rm -rf "$w"

#!/bin/sh
# make -r -d -k in a copy of drivers/make: a first build (a missing prerequisite, a failing
# rule), then a second one with everything up to date but the phony targets.
dir=$(mktemp -d); cp "$(dirname "$0")"/make/* "$dir"; cd "$dir"
LC_ALL=C make -r -d -k
LC_ALL=C make -r -d -k check
rm -r "$dir"

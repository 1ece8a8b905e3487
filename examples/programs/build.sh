#!/bin/sh
# Builds the programs the uprobe and USDT examples trace, into /tmp/tstrace-examples.
set -e
out=${1:-/tmp/tstrace-examples}
mkdir -p "$out"
cc -O1 -g -o "$out/greeter" "$(dirname "$0")/greeter.c"
echo "$out/greeter"

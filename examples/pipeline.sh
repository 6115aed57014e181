#!/bin/sh
# The example: log lines get TAI64N labels from tai64n, and tai64nlocal shows them
# in local time. Run it with our programs first on PATH (examples/run does that).
set -eu

printf '%s\n' "service starting" "listening on port 8080" "ready" |
	tai64n |
	tee /dev/stderr |
	tai64nlocal

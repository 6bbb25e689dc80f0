#!/bin/sh
# Runs a command in a private network namespace that has only a loopback interface
# (needs root or user namespaces). The conformance mocks listen on all interfaces, so they run here.
exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"

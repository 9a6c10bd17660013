#!/usr/bin/env bash
# What mirroring costs stable's callers: p50/p99 through the gateway with mirror 0 and mirror 100 on
# the same replicas in one run, at a steady request rate low enough to leave the cores mostly idle
# (wrk on one connection, pausing 1000/rate ms after each answer).
# Needs wrk (Debian/Ubuntu: apt-get install wrk).
# Usage: bench/mirror.sh [requests per second] [seconds per phase] [rounds]   e.g. bench/mirror.sh 100 15 2
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "wrk is missing: install it (Debian/Ubuntu: apt-get install wrk)" >&2
  exit 2
fi
for project in services/sample-inference services/deployer services/gateway bench/MirrorBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/MirrorBench/bin/Release/net10.0/MirrorBench.dll "$@"

#!/usr/bin/env bash
# What mirroring costs stable's callers: p50/p99 through the gateway with mirror 0 and mirror 100 on
# the same replicas in one run, at a fixed request rate low enough to leave the cores mostly idle.
# Usage: bench/mirror.sh [requests per second] [seconds per phase] [rounds]   e.g. bench/mirror.sh 100 15 2
set -euo pipefail
cd "$(dirname "$0")/.."
for project in services/sample-inference services/deployer services/gateway bench/MirrorBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/MirrorBench/bin/Release/net10.0/MirrorBench.dll "$@"

#!/usr/bin/env bash
# The gateway next to YARP alone, nginx (the same weighted proxy) and the backend called directly, with wrk:
# CPU µs and allocated bytes per request, p50/p99, and ratios to YARP alone and to nginx, in one table.
# Needs nginx and wrk (Debian/Ubuntu: apt-get install nginx-light wrk).
# Usage: bench/gateway.sh [seconds] [connections] [rounds]   e.g. bench/gateway.sh 10 16 3
# Settings (see bench/GatewayBench/Program.cs): PROXY_ENV, GATEWAY_ENV, GATEWAY_ROWS, GATEWAY_DEFAULT_ROWS.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in nginx wrk; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "$tool is missing: install nginx and wrk (Debian/Ubuntu: apt-get install nginx-light wrk)" >&2
    exit 2
  fi
done
for project in services/sample-inference services/deployer services/gateway bench/YarpFloor bench/AllocationProbe bench/GatewayBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/GatewayBench/bin/Release/net10.0/GatewayBench.dll "$@"

#!/usr/bin/env bash
# The gateway next to nginx (the same weighted proxy) and the backend called directly, with wrk.
# Needs Debian's nginx and wrk: apt-get install nginx-light wrk
# Usage: bench/gateway.sh [seconds] [connections]   e.g. bench/gateway.sh 10 16
set -euo pipefail
cd "$(dirname "$0")/.."
for project in services/sample-inference services/deployer services/gateway bench/YarpFloor bench/GatewayBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/GatewayBench/bin/Release/net10.0/GatewayBench.dll "$@"

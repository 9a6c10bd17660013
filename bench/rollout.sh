#!/usr/bin/env bash
# Rollouts at a steady request rate through the gateway: a canary failing half its requests (time to
# rollback, share of requests failed), and a good canary's cost on the request path (telemetry on/off).
# Usage: bench/rollout.sh [requests-per-second] [seconds]   e.g. bench/rollout.sh 100 60
set -euo pipefail
cd "$(dirname "$0")/.."
for project in services/sample-inference services/deployer services/gateway bench/RolloutBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/RolloutBench/bin/Release/net10.0/RolloutBench.dll "$@"

#!/usr/bin/env bash
# ResNet18 over REST with binary tensors and over gRPC with raw tensors, straight to a replica and
# through the gateway, in one run (a deployer with one replica and a gateway with its gRPC port).
# Through the gateway it also prints the gateway process's CPU time per call, after warming it with 20 s of every kind of call.
# Usage: bench/grpc.sh [seconds-per-run] [concurrency-levels]   e.g. bench/grpc.sh 10 1,8
set -euo pipefail
cd "$(dirname "$0")/.."
for project in services/sample-inference services/deployer services/gateway bench/InferenceBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/InferenceBench/bin/Release/net10.0/InferenceBench.dll "${1:-10}" "${2:-1,8}" grpc

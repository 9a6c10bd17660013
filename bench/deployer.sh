#!/usr/bin/env bash
# The deployer on the embedded runtime, next to starting the reference server by hand.
# Usage: bench/deployer.sh [rounds] [small-deployments]   e.g. bench/deployer.sh 5 20
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release services/deployer -v q -nologo
dotnet build -c Release bench/DeployerBench -v q -nologo
dotnet bench/DeployerBench/bin/Release/net10.0/DeployerBench.dll "$@"

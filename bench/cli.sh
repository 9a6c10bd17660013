#!/usr/bin/env bash
# Upload to first prediction for ResNet18 through the CLI (mp deploy, then one inference through the
# gateway), with mp's phases, next to the reference server started by hand in the same run.
# Usage: bench/cli.sh [rounds] [warm-up rounds, default 3]   e.g. bench/cli.sh 5
set -euo pipefail
cd "$(dirname "$0")/.."
for project in services/deployer services/gateway services/sample-inference clients/cli bench/CliBench; do
  dotnet build -c Release "$project" -v q -nologo
done
dotnet bench/CliBench/bin/Release/net10.0/CliBench.dll "$@"

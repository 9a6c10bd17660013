#!/usr/bin/env bash
# ResNet18 through the reference server (JSON and binary) next to ONNX Runtime in-process.
# Usage: bench/inference.sh [seconds-per-run] [concurrency-levels]   e.g. bench/inference.sh 10 1,4,8
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release services/sample-inference -v q -nologo
dotnet build -c Release bench/InferenceBench -v q -nologo
dotnet bench/InferenceBench/bin/Release/net10.0/InferenceBench.dll "$@"

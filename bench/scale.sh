#!/usr/bin/env bash
# The scale suite: publishes personaops (Release, ReadyToRun), then measures validate, a clean plan, apply
# of 10% changed personas and drift at each N and latency against `personaops sandbox serve`, beside a
# naive one-GET-per-persona refresh. Writes docs/benchmarks/results.{json,md} and chart.svg.
# Usage: bench/scale.sh [--sizes 100,1000,10000] [--latencies 0,50] [--runs 3] [--out docs/benchmarks]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rid=linux-x64
case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; esac

dotnet publish src/PersonaOps.Cli -c Release -r "$rid" --self-contained false -o "$work/bin" --nologo -v quiet >/dev/null
machine="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), .NET $(dotnet --version)"
dotnet run -c Release --project bench/PersonaOps.Scale -- --binary "$work/bin/personaops" --machine "$machine" "$@"

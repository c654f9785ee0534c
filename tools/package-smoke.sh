#!/usr/bin/env bash
# Packs personaops as a dotnet tool, installs it into a temporary folder from that package alone, and runs
# it: the path a user takes with `dotnet tool install`. Exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet pack src/PersonaOps.Cli -c Release -o "$work/feed" --nologo -v quiet
dotnet tool install --tool-path "$work/tools" --add-source "$work/feed" PersonaOps --version 0.1.0 >/dev/null
"$work/tools/personaops" --help | grep -q "personaops"
"$work/tools/personaops" validate --dir . personas >/dev/null
echo "package-smoke: packed, installed into a temporary folder and ran personaops --help and validate"

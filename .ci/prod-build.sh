#!/usr/bin/env bash
# Builds what the Dockerfile's final stage holds (the bundled dist/, bin/, package.json) into $1.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"
rm -rf "$out" && mkdir -p "$out"
npm run --silent build -- --dir "$out/dist" > /dev/null
cp -r bin package.json "$out/"
echo "$out"

#!/usr/bin/env bash
# Builds what the Dockerfile's final stage holds (dist/, bin/, package files, production node_modules) into $1.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"
rm -rf "$out" && mkdir -p "$out"
node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$out/dist"
cp -r bin package.json package-lock.json "$out/"
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent)
echo "$out"

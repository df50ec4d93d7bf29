#!/usr/bin/env bash
# Runs the third-party compliance client scim2-tester (through scim2-cli) against a running bi-scim + Metabase simulator
# (test/support/compliance-server.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${BI_SCIM_CACHE:-$HOME/.cache/bi-scim}"
PINS=(scim2-cli==0.6.0 scim2-tester==0.5.2 scim2-client==0.13.2 scim2-models==0.12.3)
VENV="$CACHE/scim2-tools-$(echo "${PINS[*]}" | sha256sum | cut -c1-12)"
# Checks that cannot pass, each explained in README ("SCIM compliance").
EXPECTED_ERRORS=("check_remove_attribute: Failed to remove attribute 'active': active cannot be removed; replace it with true or false")

if [ ! -x "$VENV/bin/scim2" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
fi

TOKEN="compliance-$(date +%s%N)"
PORT=$((20000 + RANDOM % 20000))
LOG="$(mktemp)"
BI_SCIM_TOKENS="$TOKEN" BI_SCIM_PORT="$PORT" node test/support/compliance-server.ts >"$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
  echo "bi-scim did not start for the compliance run:"
  cat "$LOG"
  exit 1
fi

OUT="$(mktemp)"
set +e
timeout 600 "$VENV/bin/scim2" --url "http://127.0.0.1:$PORT/scim/v2" -h "Authorization: Bearer $TOKEN" test >"$OUT" 2>&1
set -e
cat "$OUT"

# Each result is a status line followed by an indented detail line.
mapfile -t errors < <(awk '/^(ERROR|CRITICAL)/ { name = $2; getline detail; sub(/^ +/, "", detail); print name ": " detail }' "$OUT")
successes=$(grep -c '^SUCCESS' "$OUT" || true)
unexpected=0
for e in "${errors[@]}"; do
  known=0
  for x in "${EXPECTED_ERRORS[@]}"; do [ "$e" = "$x" ] && known=1; done
  if [ "$known" = 0 ]; then echo "UNEXPECTED: $e"; unexpected=$((unexpected + 1)); fi
done
echo "scim2-tester checks: $successes succeeded, ${#errors[@]} errors of which $unexpected unexpected"
[ "$successes" -gt 0 ] && [ "$unexpected" = 0 ]

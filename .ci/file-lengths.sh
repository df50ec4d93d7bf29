#!/usr/bin/env bash
# Every file in src/ stays under 250 lines, unless its second line says why it is longer ("// Longer because …").
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
  lines=$(wc -l <"$file")
  if [ "$lines" -gt 250 ] && ! sed -n 2p "$file" | grep -q '^// Longer because '; then
    echo "$file: $lines lines, and no '// Longer because …' line under its first line"
    status=1
  fi
done < <(find src -name '*.ts' | sort)
[ "$status" = 0 ] && echo "file lengths: every file in src/ is under 250 lines or says why"
exit "$status"

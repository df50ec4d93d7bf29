#!/usr/bin/env bash
# Installs the pinned Apache Superset used by the Superset adapter tests into a venv cached outside the clone.
# Idempotent: a venv that already holds exactly these pins is reused in seconds. Prints the venv path last.
set -euo pipefail

SUPERSET_VERSION=6.1.0
# Superset 6.1.0 declares flask-appbuilder>=5.0.2,<6 and its changelog ships "bump FAB to 5.0.2" (#36086);
# newer FAB releases change API login rules (5.2.2) and add tables, so the release's own FAB is pinned.
FAB_VERSION=5.0.2
PYTHON_MINOR=3.11
# Superset's metadata leaves its Flask stack open, and the newest releases break it (flask-caching 2.5 passes
# `ignore_delete_many_errors`, which SupersetMetastoreCache rejects), so the stack is pinned to the versions of
# Superset's own lock file (requirements/base.txt) from the FAB 5.0.2 era. marshmallow 4 breaks `superset init`
# (apache/superset#33162); setuptools provides pkg_resources, which some dependencies still import.
EXTRA_PINS=(
  "flask==2.3.3" "werkzeug==3.1.3" "flask-caching==2.3.1" "flask-sqlalchemy==2.5.1" "flask-wtf==1.2.2"
  "flask-jwt-extended==4.7.1" "flask-babel==3.1.0" "flask-compress==1.17" "marshmallow==3.26.1"
  "marshmallow-sqlalchemy==1.4.0" "setuptools==80.9.0"
)

cache_root="${BI_SCIM_CACHE:-$HOME/.cache/bi-scim}"
venv="$cache_root/superset-$SUPERSET_VERSION-fab$FAB_VERSION-py$PYTHON_MINOR"
stamp="$venv/.bi-scim-installed"
wanted="apache-superset==$SUPERSET_VERSION flask-appbuilder==$FAB_VERSION ${EXTRA_PINS[*]}"

log() { printf '[superset-install] %s\n' "$*" >&2; }

find_python() {
  local candidate
  for candidate in "python$PYTHON_MINOR" "$HOME/.pyenv/versions/$PYTHON_MINOR"*/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$PYTHON_MINOR" ]; then
      command -v "$candidate"
      return 0
    fi
  done
  log "Python $PYTHON_MINOR not found (Superset $SUPERSET_VERSION supports 3.10-3.12)"
  return 1
}

# A warm venv is trusted only when its stamp names these exact pins and the installed metadata agrees.
verify() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] || return 1
  "$venv/bin/python" - "$SUPERSET_VERSION" "$FAB_VERSION" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("apache-superset") == sys.argv[1]
assert version("flask-appbuilder") == sys.argv[2]
assert int(version("marshmallow").split(".")[0]) < 4
PY
}

# --print-path names the venv this script installs, without installing it (the test harness looks for it there).
if [ "${1:-}" = "--print-path" ]; then
  echo "$venv"
  exit 0
fi

if verify && [ -x "$venv/bin/superset" ]; then
  log "reusing $venv"
  echo "$venv"
  exit 0
fi

python="$(find_python)"
log "installing Superset $SUPERSET_VERSION (FAB $FAB_VERSION) with $python into $venv"
rm -rf "$venv"
mkdir -p "$cache_root"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip wheel
"$venv/bin/python" -m pip install --quiet --prefer-binary \
  "apache-superset==$SUPERSET_VERSION" "flask-appbuilder==$FAB_VERSION" "${EXTRA_PINS[@]}"
echo "$wanted" >"$stamp"
verify || { log "installed venv failed verification"; exit 1; }
log "installed"
echo "$venv"

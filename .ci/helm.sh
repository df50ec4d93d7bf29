#!/usr/bin/env bash
# Chart checks, offline: pinned helm and kubernetes-validate (cached outside the clone), lint, render, schema-validate, refusals.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
# helm v3.22.0 is built against the k8s.io v0.37 modules; official builds stamp that in as the default kube version.
HELM_KUBE_MINOR=37
KUBERNETES_VALIDATE_VERSION=1.37.0
# The oldest Kubernetes Chart.yaml accepts, and the newest kubernetes-validate knows.
KUBE_VERSIONS=(1.30.0 1.37.0)
CHART=helm/bi-scim
CACHE="${BI_SCIM_CACHE:-$HOME/.cache/bi-scim}"
mkdir -p "$CACHE"

step() { printf '\n--- %s\n' "$1"; }
die() { printf 'helm.sh: %s\n' "$1" >&2; exit 1; }
SUMMARY=()
record() { SUMMARY+=("$(printf '%-4s %s' "$1" "$2")"); }

install_helm() {
  local dir="$CACHE/helm-$HELM_VERSION"
  HELM="$dir/helm"
  if [ "$("$HELM" version --template '{{.Version}}' 2>/dev/null || true)" = "$HELM_VERSION" ]; then return; fi
  command -v go >/dev/null || die "Go is needed to build helm $HELM_VERSION (go install from the Go module proxy)"
  local pkg=helm.sh/helm/v3
  local ldflags="-s -w -X $pkg/internal/version.version=$HELM_VERSION -X $pkg/internal/version.gitTreeState=clean"
  ldflags+=" -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR"
  ldflags+=" -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
  echo "building helm $HELM_VERSION into $dir"
  # go install runs inside a module-less temp dir so the project's files never influence the build.
  local workdir
  workdir="$(mktemp -d)"
  (cd "$workdir" && GOBIN="$dir" CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "$pkg/cmd/helm@$HELM_VERSION") \
    || { rm -rf "$workdir"; die "go install $pkg/cmd/helm@$HELM_VERSION failed: is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"; }
  rm -rf "$workdir"
  [ "$("$HELM" version --template '{{.Version}}')" = "$HELM_VERSION" ] || die "built helm does not report $HELM_VERSION"
}

install_kubernetes_validate() {
  local dir="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  VALIDATE="$dir/bin/kubernetes-validate"
  PYTHON="$dir/bin/python"
  if [ "$("$VALIDATE" --version 2>/dev/null || true)" = "$KUBERNETES_VALIDATE_VERSION" ]; then return; fi
  command -v python3 >/dev/null || die "python3 is needed for kubernetes-validate"
  echo "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $dir"
  # A half-made venv from an interrupted run fails the version check above and is rebuilt from scratch.
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
}

# ServiceMonitor is a CRD: kubernetes-validate has no schema for it, so check what can be checked offline instead —
# it selects a rendered Service by that Service's labels, and scrapes a port that Service names.
check_service_monitors() {
  "$PYTHON" - "$@" <<'PY'
import re, sys, yaml
problems, checked = [], 0
for path in sys.argv[1:]:
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    services = [d for d in docs if d["kind"] == "Service"]
    for sm in (d for d in docs if d["kind"] == "ServiceMonitor"):
        checked += 1
        where = f"{path}: servicemonitor/{sm['metadata']['name']}"
        if sm["apiVersion"] != "monitoring.coreos.com/v1":
            problems.append(f"{where}: apiVersion {sm['apiVersion']}")
        want = sm["spec"]["selector"]["matchLabels"]
        matches = [s for s in services if want.items() <= s["metadata"].get("labels", {}).items()]
        if len(matches) != 1:
            problems.append(f"{where}: selector matches {len(matches)} Services, not 1")
            continue
        port_names = {p.get("name") for p in matches[0]["spec"]["ports"]}
        for ep in sm["spec"]["endpoints"]:
            if ep.get("port") not in port_names:
                problems.append(f"{where}: endpoint port {ep.get('port')!r} is not one of {sorted(port_names)}")
            for key in ("interval", "scrapeTimeout"):
                if key in ep and not re.fullmatch(r"([0-9]+(ms|s|m|h))+", str(ep[key])):
                    problems.append(f"{where}: {key} {ep[key]!r} is not a Prometheus duration")
for p in problems:
    print(f"ERROR {p}")
print(f"{checked} ServiceMonitor(s) checked against their Services")
sys.exit(1 if problems else 0)
PY
}

# The chart must refuse to render more than one replica without Redis, with a message saying why.
check_refusal() {
  local label="$1"; shift
  local out
  if out="$("$HELM" template bi-scim "$CHART" -f "$CHART/ci/default-values.yaml" "$@" 2>&1)"; then
    record FAIL "refusal: $label rendered without Redis"
    return 1
  fi
  if ! grep -q "must run as a single replica" <<<"$out"; then
    record FAIL "refusal: $label failed for another reason: $out"
    return 1
  fi
  record ok "refusal: $label without Redis is refused"
}

step "tools"
install_helm
install_kubernetes_validate
echo "$HELM" >"$CACHE/helm-path"
echo "helm $("$HELM" version --template '{{.Version}}') at $HELM"
echo "kubernetes-validate $("$VALIDATE" --version)"

status=0
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
values_files=("$CHART"/ci/*-values.yaml)
[ -e "${values_files[0]}" ] || die "no $CHART/ci/*-values.yaml"

step "helm lint --strict"
for values in "${values_files[@]}"; do
  name="$(basename "$values" -values.yaml)"
  if "$HELM" lint --strict "$CHART" -f "$values" >"$rendered/$name.lint" 2>&1; then
    record ok "lint: $name"
  else
    cat "$rendered/$name.lint"; record FAIL "lint: $name"; status=1
  fi
done

step "helm template + kubernetes-validate --strict (Kubernetes ${KUBE_VERSIONS[*]})"
kube_flags=()
for version in "${KUBE_VERSIONS[@]}"; do kube_flags+=(-k "$version"); done
for values in "${values_files[@]}"; do
  name="$(basename "$values" -values.yaml)"
  manifest="$rendered/$name.yaml"
  if ! "$HELM" template bi-scim "$CHART" --namespace bi-scim -f "$values" >"$manifest" 2>"$rendered/$name.err"; then
    cat "$rendered/$name.err"; record FAIL "render: $name"; status=1; continue
  fi
  kinds="$(grep -c '^kind:' "$manifest")"
  report="$("$VALIDATE" --strict "${kube_flags[@]}" "$manifest" 2>&1)" && ok=1 || ok=0
  grep -E '^(ERROR|FATAL)' <<<"$report" || true
  # Kinds without a bundled schema (the ServiceMonitor CRD) come back as warnings; they are checked below.
  grep '^WARN' <<<"$report" | sed 's/^WARN .*Couldn.t find schema for kind \([^ ]*\) .*/note: \1 has no Kubernetes schema (a CRD): checked by the ServiceMonitor step/' | sort -u || true
  if [ "$ok" = 1 ]; then record ok "validate: $name ($kinds resources)"; else record FAIL "validate: $name"; status=1; fi
done

step "ServiceMonitor (CRD) checks"
if check_service_monitors "$rendered"/*.yaml; then record ok "servicemonitor: selects the Service and its metrics port"; else record FAIL "servicemonitor"; status=1; fi

step "single-replica refusal"
check_refusal "replicaCount=2" --set replicaCount=2 || status=1
check_refusal "autoscaling.enabled=true" --set autoscaling.enabled=true || status=1
if "$HELM" template bi-scim "$CHART" -f "$CHART/ci/default-values.yaml" --set replicaCount=2 --set redis.enabled=true >/dev/null 2>&1; then
  record ok "refusal: replicaCount=2 with bundled Redis renders"
else
  record FAIL "refusal: replicaCount=2 with bundled Redis was refused too"; status=1
fi

step "summary"
printf '%s\n' "${SUMMARY[@]}"
passed="$(printf '%s\n' "${SUMMARY[@]}" | grep -c '^ok' || true)"
failed="$(printf '%s\n' "${SUMMARY[@]}" | grep -c '^FAIL' || true)"
echo "helm chart: $passed passed, $failed failed"
echo "BI_SCIM_HELM=$HELM"
exit "$status"

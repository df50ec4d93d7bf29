#!/usr/bin/env bash
# Chart checks, offline: pinned helm, kubernetes-validate and promtool (cached outside the clone), lint, render, schema-validate, alert rules, refusals.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
# helm v3.22.0 is built against the k8s.io v0.37 modules; official builds stamp that in as the default kube version.
HELM_KUBE_MINOR=37
KUBERNETES_VALIDATE_VERSION=1.37.0
# Prometheus 3.x tags its Go module v0.3xx.y; promtool checks and unit-tests the chart's alerting rules.
PROMTOOL_MODULE_VERSION=v0.316.0
# The oldest Kubernetes Chart.yaml accepts, and the newest kubernetes-validate knows.
KUBE_VERSIONS=(1.30.0 1.37.0)
CHART=helm/bi-scim
CACHE="${BI_SCIM_CACHE:-$HOME/.cache/bi-scim}"
mkdir -p "$CACHE"

step() { printf '\n--- %s\n' "$1"; }
die() { printf 'helm.sh: %s\n' "$1" >&2; exit 1; }
SUMMARY=()
record() { SUMMARY+=("$(printf '%-4s %s' "$1" "$2")"); }

# go install PACKAGE@VERSION into DIR, from a module-less temp dir so the project's files never influence the build.
go_install() {
  local dir="$1" target="$2" ldflags="$3"
  command -v go >/dev/null || die "Go is needed to build $target (go install from the Go module proxy)"
  echo "building $target into $dir"
  local workdir
  workdir="$(mktemp -d)"
  (cd "$workdir" && GOBIN="$dir" CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "$target") \
    || { rm -rf "$workdir"; die "go install $target failed: is the Go module proxy reachable? (GOPROXY=$(go env GOPROXY))"; }
  rm -rf "$workdir"
}

install_helm() {
  local dir="$CACHE/helm-$HELM_VERSION"
  HELM="$dir/helm"
  if [ "$("$HELM" version --template '{{.Version}}' 2>/dev/null || true)" = "$HELM_VERSION" ]; then return; fi
  local pkg=helm.sh/helm/v3
  local ldflags="-s -w -X $pkg/internal/version.version=$HELM_VERSION -X $pkg/internal/version.gitTreeState=clean"
  ldflags+=" -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR"
  ldflags+=" -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
  go_install "$dir" "$pkg/cmd/helm@$HELM_VERSION" "$ldflags"
  [ "$("$HELM" version --template '{{.Version}}')" = "$HELM_VERSION" ] || die "built helm does not report $HELM_VERSION"
}

install_promtool() {
  local dir="$CACHE/promtool-$PROMTOOL_MODULE_VERSION"
  local module=github.com/prometheus/prometheus
  PROMTOOL="$dir/promtool"
  if promtool_built "$module"; then return; fi
  echo "(promtool takes several minutes to build the first time; it is cached after that)"
  go_install "$dir" "$module/cmd/promtool@$PROMTOOL_MODULE_VERSION" "-s -w"
  promtool_built "$module" || die "built promtool does not record $module $PROMTOOL_MODULE_VERSION"
}

# go install stamps no release version into promtool; the module version recorded in the binary is the check.
promtool_built() {
  go version -m "$PROMTOOL" 2>/dev/null | grep -qE "^\s+mod\s+$1\s+$PROMTOOL_MODULE_VERSION(\s|$)"
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

# ServiceMonitor and PrometheusRule are CRDs, and the dashboard is JSON inside a ConfigMap: kubernetes-validate sees
# none of their insides, so check offline what can be checked. The ServiceMonitor selects a rendered Service and
# scrapes a port it names; every alert has a severity, a summary, a description and a runbook; every dashboard panel
# queries a bi_scim_ metric (test/helm/dashboard-metrics.test.ts checks those names against a live /metrics).
check_crds() {
  "$PYTHON" - "$@" <<'PY'
import json, re, sys, yaml
problems, counts = [], {"ServiceMonitor": 0, "PrometheusRule": 0, "dashboard ConfigMap": 0}
duration = re.compile(r"([0-9]+(ms|s|m|h))+")

def service_monitor(where, sm, services):
    want = sm["spec"]["selector"]["matchLabels"]
    matches = [s for s in services if want.items() <= s["metadata"].get("labels", {}).items()]
    if len(matches) != 1:
        return problems.append(f"{where}: selector matches {len(matches)} Services, not 1")
    port_names = {p.get("name") for p in matches[0]["spec"]["ports"]}
    for ep in sm["spec"]["endpoints"]:
        if ep.get("port") not in port_names:
            problems.append(f"{where}: endpoint port {ep.get('port')!r} is not one of {sorted(port_names)}")
        for key in ("interval", "scrapeTimeout"):
            if key in ep and not duration.fullmatch(str(ep[key])):
                problems.append(f"{where}: {key} {ep[key]!r} is not a Prometheus duration")

def prometheus_rule(where, rule_set):
    for rule in (r for g in rule_set["spec"]["groups"] for r in g["rules"] if "alert" in r):
        if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            problems.append(f"{where}: {rule['alert']} has no severity label critical|warning|info")
        missing = [k for k in ("summary", "description", "runbook") if not rule.get("annotations", {}).get(k)]
        if missing:
            problems.append(f"{where}: {rule['alert']} lacks annotations {missing}")

def dashboard(where, cm):
    for key, text in cm["data"].items():
        panels = json.loads(text)["panels"]
        if len({p["id"] for p in panels}) != len(panels):
            problems.append(f"{where}/{key}: panel ids repeat")
        for p in (p for p in panels if p["type"] != "row"):
            if not p.get("targets") or not all("bi_scim_" in t["expr"] for t in p["targets"]):
                problems.append(f"{where}/{key}: panel {p['title']!r} has a query naming no bi_scim_ metric")

for path in sys.argv[1:]:
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    services = [d for d in docs if d["kind"] == "Service"]
    for d in docs:
        where = f"{path}: {d['kind'].lower()}/{d['metadata']['name']}"
        kind = d["kind"]
        if kind in ("ServiceMonitor", "PrometheusRule") and d["apiVersion"] != "monitoring.coreos.com/v1":
            problems.append(f"{where}: apiVersion {d['apiVersion']}")
        if kind == "ServiceMonitor":
            service_monitor(where, d, services)
        elif kind == "PrometheusRule":
            prometheus_rule(where, d)
        elif kind == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard"):
            kind = "dashboard ConfigMap"
            dashboard(where, d)
        if kind in counts:
            counts[kind] += 1
for p in problems:
    print(f"ERROR {p}")
print(", ".join(f"{n} {kind}(s)" for kind, n in counts.items()) + " checked")
sys.exit(1 if problems else 0)
PY
}

# The PrometheusRule in $1 as a Prometheus rules file ($2), and a copy without annotations ($3) for promtool's unit
# tests: promtool compares every annotation's full text, which the tests have no business repeating.
extract_rules() {
  "$PYTHON" - "$@" <<'PY'
import sys, yaml
source, full, bare = sys.argv[1:]
rule_set = next(d for d in yaml.safe_load_all(open(source)) if d and d["kind"] == "PrometheusRule")
groups = rule_set["spec"]["groups"]
yaml.safe_dump({"groups": groups}, open(full, "w"), sort_keys=False)
for rule in (r for g in groups for r in g["rules"]):
    rule.pop("annotations", None)
yaml.safe_dump({"groups": groups}, open(bare, "w"), sort_keys=False)
PY
}

# Every alert in the rules file $1 has a test in $2 where it fires and one where it stays silent.
check_alert_coverage() {
  "$PYTHON" - "$@" <<'PY'
import sys, yaml
rules, tests = (yaml.safe_load(open(p)) for p in sys.argv[1:])
alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
cases = [c for t in tests["tests"] for c in t.get("alert_rule_test", [])]
fires = {c["alertname"] for c in cases if c.get("exp_alerts")}
silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
problems = [f"{a}: no test where it {what}" for a in sorted(alerts) for what, seen in (("fires", fires), ("stays silent", silent)) if a not in seen]
problems += [f"the tests name {a}, which no rule defines" for a in sorted((fires | silent) - alerts)]
for p in problems:
    print(f"ERROR {p}")
print(f"{len(alerts)} alerts, each with a test where it fires and one where it stays silent" if not problems else "alert tests incomplete")
sys.exit(1 if problems else 0)
PY
}

# A values combination the chart must refuse, with a message matching the extended regex $2 that says why.
expect_refusal() {
  local label="$1" pattern="$2"; shift 2
  local out
  if out="$("$HELM" template bi-scim "$CHART" -f "$CHART/ci/default-values.yaml" "$@" 2>&1)"; then
    record FAIL "refusal: $label rendered"
    return 1
  fi
  if ! grep -qE "$pattern" <<<"$out"; then
    record FAIL "refusal: $label failed for another reason: $out"
    return 1
  fi
  record ok "refusal: $label is refused"
}

# A values combination the chart must render.
expect_render() {
  local label="$1"; shift
  local out
  if ! out="$("$HELM" template bi-scim "$CHART" -f "$CHART/ci/default-values.yaml" "$@" 2>&1)"; then
    record FAIL "render: $label was refused: $out"
    return 1
  fi
  record ok "render: $label"
}

step "tools"
install_helm
install_kubernetes_validate
install_promtool
echo "$HELM" >"$CACHE/helm-path"
echo "helm $("$HELM" version --template '{{.Version}}') at $HELM"
echo "kubernetes-validate $("$VALIDATE" --version)"
echo "promtool of prometheus module $PROMTOOL_MODULE_VERSION at $PROMTOOL"

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
  # Kinds without a bundled schema (the ServiceMonitor and PrometheusRule CRDs) come back as warnings; checked below.
  grep '^WARN' <<<"$report" | sed 's/^WARN .*Couldn.t find schema for kind \([^ ]*\) .*/note: \1 has no Kubernetes schema (a CRD): checked by the CRD step/' | sort -u || true
  if [ "$ok" = 1 ]; then record ok "validate: $name ($kinds resources)"; else record FAIL "validate: $name"; status=1; fi
done

step "CRD and dashboard checks"
if check_crds "$rendered"/*.yaml; then record ok "crds: ServiceMonitor, PrometheusRule and dashboard contents"; else record FAIL "crds"; status=1; fi

step "promtool check rules + test rules (ci/prometheusrule-values.yaml, test/helm/alert-rules-test.yaml)"
rules_dir="$rendered/rules"
mkdir -p "$rules_dir"
cp test/helm/alert-rules-test.yaml "$rules_dir/"
if [ -s "$rendered/prometheusrule.yaml" ] && extract_rules "$rendered/prometheusrule.yaml" "$rules_dir/rules-full.yaml" "$rules_dir/bi-scim-rules.yaml"; then
  if "$PROMTOOL" check rules "$rules_dir/rules-full.yaml"; then record ok "promtool check rules"; else record FAIL "promtool check rules"; status=1; fi
  if check_alert_coverage "$rules_dir/bi-scim-rules.yaml" "$rules_dir/alert-rules-test.yaml"; then record ok "alert tests: each alert fires once and stays silent once"; else record FAIL "alert test coverage"; status=1; fi
  if (cd "$rules_dir" && "$PROMTOOL" test rules alert-rules-test.yaml); then record ok "promtool test rules"; else record FAIL "promtool test rules"; status=1; fi
else
  record FAIL "no PrometheusRule rendered from ci/prometheusrule-values.yaml"; status=1
fi

step "refusals"
single="must run as a single replica"
expect_refusal "replicaCount=2 without Redis" "$single" --set replicaCount=2 || status=1
expect_refusal "autoscaling.enabled=true without Redis" "$single" --set autoscaling.enabled=true || status=1
expect_render "replicaCount=2 with bundled Redis" --set replicaCount=2 --set redis.enabled=true || status=1
expect_render "replicaCount=2 with externalRedis.sentinel" --set replicaCount=2 --set-json 'externalRedis.sentinel.hosts=["s0:26379"]' --set externalRedis.sentinel.masterName=m || status=1
expect_render "replicaCount=2 with externalRedis.cluster" --set replicaCount=2 --set-json 'externalRedis.cluster.nodes=["n0:6379"]' || status=1
expect_refusal "two externalRedis forms" "externalRedis takes exactly one of url, existingSecret, sentinel, cluster; set: existingSecret, cluster" \
  --set externalRedis.existingSecret=r --set-json 'externalRedis.cluster.nodes=["n0:6379"]' || status=1
expect_refusal "bundled and external Redis" "Choose one Redis" --set redis.enabled=true --set-json 'externalRedis.cluster.nodes=["n0:6379"]' || status=1
expect_refusal "sentinel without masterName" "externalRedis.sentinel needs both hosts" --set-json 'externalRedis.sentinel.hosts=["s0:26379"]' || status=1
expect_refusal "a sentinel password without sentinel" "sentinelPasswordSecret applies to externalRedis.sentinel only" \
  --set externalRedis.existingSecret=r --set externalRedis.sentinelPasswordSecret.name=s || status=1
expect_refusal "the console without admin tokens" "BI_SCIM_ADMIN_TOKENS has no source: set console.existingSecret" --set console.enabled=true || status=1
expect_refusal "a console Ingress without the console" "console.ingress.enabled needs console.enabled=true" --set console.ingress.enabled=true || status=1
expect_refusal "terminationGracePeriodSeconds under grace + timeout" "terminationGracePeriodSeconds=20 is shorter than" --set terminationGracePeriodSeconds=20 || status=1

step "summary"
printf '%s\n' "${SUMMARY[@]}"
passed="$(printf '%s\n' "${SUMMARY[@]}" | grep -c '^ok' || true)"
failed="$(printf '%s\n' "${SUMMARY[@]}" | grep -c '^FAIL' || true)"
echo "helm chart: $passed passed, $failed failed"
echo "BI_SCIM_HELM=$HELM"
exit "$status"

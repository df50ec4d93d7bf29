// Metric names as Prometheus sees them: PromQL parsed by Prometheus's own grammar, and the series a /metrics exposition offers.
import { parser } from '@prometheus-io/lezer-promql';

type Node = ReturnType<typeof parser.parse>['topNode'];

export interface ParsedQuery {
  /** Every metric name the expression selects, in order of appearance, repeats kept. */
  metrics: string[];
  /** Syntax errors and selectors whose metric name cannot be read (e.g. `{__name__=~"…"}`); empty when all is clear. */
  problems: string[];
}

/** Grafana's interval variables, which it replaces with a duration before Prometheus sees the query. */
const GRAFANA_INTERVALS = /\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}/g;

/** The query as Grafana sends it, for the intervals; `$var` inside label values stays (it is a string to PromQL). */
export function interpolateGrafana(expr: string): string {
  return expr.replace(GRAFANA_INTERVALS, '5m');
}

/**
 * The PromQL part of a Grafana Prometheus variable query: `label_values(selector, label)` and `query_result(expr)`
 * query metrics; `label_values(label)`, `label_names()` and `metrics(regex)` name none.
 */
export function grafanaVariableExpr(query: string): string | null {
  const labelValues = /^\s*label_values\(\s*(.+),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1]!;
  const queryResult = /^\s*query_result\(\s*(.+)\)\s*$/s.exec(query);
  return queryResult ? queryResult[1]! : null;
}

/** A PromQL string literal's value: double quotes take Go-style escapes (JSON's suffice here), single and back quotes none. */
function unquote(literal: string): string {
  return literal.startsWith('"') ? JSON.parse(literal) : literal.slice(1, -1);
}

/** The metric name of one vector selector: `name{…}`, `{"name", …}` or `{__name__="name"}`; null when it has none. */
function selectorName(selector: Node, text: (n: Node) => string): string | null {
  const identifier = selector.getChild('Identifier');
  if (identifier) return text(identifier);
  const matchers = selector.getChild('LabelMatchers');
  const quotedName = matchers?.getChild('QuotedLabelName');
  if (quotedName) return unquote(text(quotedName));
  for (const matcher of [...(matchers?.getChildren('UnquotedLabelMatcher') ?? []), ...(matchers?.getChildren('QuotedLabelMatcher') ?? [])]) {
    const label = matcher.getChild('LabelName') ?? matcher.getChild('QuotedLabelName');
    const labelName = label && (label.name === 'LabelName' ? text(label) : unquote(text(label)));
    const value = matcher.getChild('StringLiteral');
    if (labelName === '__name__' && matcher.getChild('MatchOp')?.getChild('EqlSingle') && value) return unquote(text(value));
  }
  return null;
}

export function parsePromql(expr: string): ParsedQuery {
  const tree = parser.parse(expr);
  const text = (n: Node) => expr.slice(n.from, n.to);
  const metrics: string[] = [];
  const problems: string[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError)
        problems.push(`syntax error at offset ${ref.from}: ${expr.slice(Math.max(0, ref.from - 24), ref.from)} ⟨here⟩ ${expr.slice(ref.from, ref.from + 24)}`);
      if (ref.name !== 'VectorSelector') return;
      const name = selectorName(ref.node, text);
      if (name === null) problems.push(`no metric name in ${text(ref.node)}`);
      else metrics.push(name);
    },
  });
  return { metrics, problems };
}

/** Series names each `# TYPE` adds: a histogram's _bucket, _sum and _count; a summary's quantiles, _sum and _count. */
const SERIES_OF_TYPE: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Every series name a Prometheus text exposition declares, from its `# TYPE` lines: a declared metric counts even
 * before its first sample (a labelled counter nothing has incremented yet).
 */
export function exposedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    for (const suffix of SERIES_OF_TYPE[type!] ?? ['']) names.add(`${name}${suffix}`);
  }
  return names;
}

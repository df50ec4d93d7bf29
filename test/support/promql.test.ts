// Metric names read from PromQL by Prometheus's grammar, never function names, label names or label values; and the series an exposition declares.
import { describe, expect, it } from 'vitest';
import { exposedSeriesNames, grafanaVariableExpr, interpolateGrafana, parsePromql } from './promql.ts';

describe('parsePromql', () => {
  it.each([
    ['a bare selector', 'bi_scim_store_up', ['bi_scim_store_up']],
    ['a histogram series inside functions and an aggregation', 'histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket[5m])))', ['x_seconds_bucket']],
    ['label values and label names that look like metrics', 'sum by (bi_scim_fake) (up{job="bi_scim_other", route=~"rate.*"})', ['up']],
    ['both sides of a binary operation with vector matching', 'a / on (job) group_left (version) b', ['a', 'b']],
    ['keywords and modifiers', 'max_over_time(a[1h] offset 5m) and b @ start() unless c', ['a', 'b', 'c']],
    ['a name given as __name__', '{__name__="named", job="j"}', ['named']],
    ['a quoted name (UTF-8 syntax)', '{"dotted.name", job="j"}', ['dotted.name']],
    ['functions with no selector', 'time() - vector(1)', []],
    ['string arguments', 'label_replace(a, "dst", "$1", "src", "(.*)")', ['a']],
    ['repeats', 'a + a', ['a', 'a']],
  ])('reads %s', (_label, expr, metrics) => {
    expect(parsePromql(expr)).toEqual({ metrics, problems: [] });
  });

  it('reports syntax errors and selectors whose name is a regex', () => {
    expect(parsePromql('sum(rate(a[5m])').problems).not.toEqual([]);
    expect(parsePromql('rate(a[$__rate_interval])').problems).not.toEqual([]);
    expect(parsePromql('{__name__=~"a|b"}')).toEqual({ metrics: [], problems: ['no metric name in {__name__=~"a|b"}'] });
  });
});

describe('Grafana query forms', () => {
  it('replaces interval variables with a duration and keeps variables inside label values', () => {
    const sent = interpolateGrafana('rate(a{job="$job"}[$__rate_interval]) + rate(b[${__interval}]) + increase(c[$__range])');
    expect(sent).toBe('rate(a{job="$job"}[5m]) + rate(b[5m]) + increase(c[5m])');
    expect(parsePromql(sent)).toEqual({ metrics: ['a', 'b', 'c'], problems: [] });
  });

  it('takes the PromQL of label_values and query_result variables, and none from the others', () => {
    expect(grafanaVariableExpr('label_values(a_count{namespace="$namespace"}, job)')).toBe('a_count{namespace="$namespace"}');
    expect(grafanaVariableExpr('query_result(topk(3, b))')).toBe('topk(3, b)');
    expect(grafanaVariableExpr('label_values(namespace)')).toBeNull();
    expect(grafanaVariableExpr('label_names()')).toBeNull();
  });
});

describe('exposedSeriesNames', () => {
  it('declares a histogram by its series, a summary by its quantiles too, and other types by their name', () => {
    const exposition = [
      '# HELP h_seconds latency',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{le="0.1"} 1',
      '# TYPE s_seconds summary',
      '# TYPE c_total counter',
      '# TYPE g gauge',
      'g 1',
    ].join('\n');
    expect([...exposedSeriesNames(exposition)].sort()).toEqual(
      ['c_total', 'g', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum', 's_seconds', 's_seconds_count', 's_seconds_sum'].sort(),
    );
    expect(exposedSeriesNames(exposition).has('h_seconds')).toBe(false);
    expect(exposedSeriesNames(exposition).has('c_total_count')).toBe(false);
  });
});

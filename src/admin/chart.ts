// The Activity chart: audit events per hour over the last 7 days, stacked by outcome, drawn on the server as inline SVG.
import type { AuditEvent } from '../operations/audit.ts';
import { h } from './layout.ts';

export const OUTCOMES = ['success', 'refused', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];
const COLOURS: Record<Outcome, string> = { success: '#2da44e', refused: '#bf8700', failed: '#cf222e' };

const HOUR_MS = 3_600_000;
export const CHART_HOURS = 7 * 24;

export interface HourBucket {
  /** The hour's start, ISO. */
  hour: string;
  counts: Record<Outcome, number>;
}

/** One bucket per hour, oldest first, the last one holding `now`. */
export function bucketByHour(events: Array<Pick<AuditEvent, 'at' | 'outcome'>>, now: number): HourBucket[] {
  const last = Math.floor(now / HOUR_MS) * HOUR_MS;
  const first = last - (CHART_HOURS - 1) * HOUR_MS;
  const buckets: HourBucket[] = Array.from({ length: CHART_HOURS }, (_, i) => ({
    hour: new Date(first + i * HOUR_MS).toISOString(),
    counts: { success: 0, refused: 0, failed: 0 },
  }));
  for (const event of events) {
    const i = Math.floor((Date.parse(event.at) - first) / HOUR_MS);
    if (i >= 0 && i < CHART_HOURS) buckets[i].counts[event.outcome] += 1;
  }
  return buckets;
}

const total = (b: HourBucket) => OUTCOMES.reduce((n, o) => n + b.counts[o], 0);

const BAR = 5;
const LEFT = 44;
const TOP = 10;
const PLOT = 180;
const WIDTH = LEFT + CHART_HOURS * BAR + 8;
const HEIGHT = TOP + PLOT + 28;

/** The stacked bars with a y scale and a label at each midnight; named for screen readers by `title` and `summary`. */
export function activityChart(buckets: HourBucket[], title: string, summary: string) {
  const max = Math.max(1, ...buckets.map(total));
  const y = (value: number) => TOP + PLOT - (value / max) * PLOT;
  const bars = buckets.flatMap((b, i) => {
    let base = 0;
    return OUTCOMES.filter((o) => b.counts[o] > 0).map((o) => {
      const top = y(base + b.counts[o]);
      const rect = h(
        'rect',
        { x: LEFT + i * BAR, y: top.toFixed(1), width: BAR - 1, height: (y(base) - top).toFixed(1), fill: COLOURS[o] },
        h('title', null, `${b.hour.slice(0, 13).replace('T', ' ')}:00 UTC: ${b.counts[o]} ${o}`),
      );
      base += b.counts[o];
      return rect;
    });
  });
  const days = buckets.flatMap((b, i) =>
    b.hour.endsWith('T00:00:00.000Z')
      ? [
          h('line', { x1: LEFT + i * BAR, x2: LEFT + i * BAR, y1: TOP, y2: TOP + PLOT, stroke: '#d0d7de' }),
          h('text', { x: LEFT + i * BAR + 2, y: TOP + PLOT + 18, 'font-size': 12, fill: '#57606a' }, b.hour.slice(5, 10)),
        ]
      : [],
  );
  const scale = [max, Math.round(max / 2), 0].map((v) =>
    h(
      'g',
      null,
      h('line', { x1: LEFT, x2: WIDTH - 8, y1: y(v), y2: y(v), stroke: '#d0d7de' }),
      h('text', { x: LEFT - 6, y: y(v) + 4, 'font-size': 12, fill: '#57606a', 'text-anchor': 'end' }, String(v)),
    ),
  );
  return h(
    'figure',
    { class: 'chart' },
    h(
      'svg',
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc', xmlns: 'http://www.w3.org/2000/svg' },
      h('title', { id: 'chart-title' }, title),
      h('desc', { id: 'chart-desc' }, summary),
      ...scale,
      ...days,
      ...bars,
    ),
    h('figcaption', null, h('ul', { class: 'legend' }, ...OUTCOMES.map((o) => h('li', null, h('span', { class: `swatch s-${o}`, 'aria-hidden': 'true' }), o)))),
  );
}

// The Activity chart: events land in their hour, stacked by outcome, scaled to the busiest hour.
import { describe, expect, it } from 'vitest';
import { activityChart, bucketByHour, CHART_HOURS } from '../../src/admin/chart.ts';

const NOW = Date.parse('2026-12-03T10:30:00Z');

describe('the activity chart', () => {
  it('puts each event in its hour of the last 7 days and leaves older ones out', () => {
    const buckets = bucketByHour(
      [
        { at: '2026-12-03T10:05:00Z', outcome: 'success' },
        { at: '2026-12-03T10:59:59Z', outcome: 'failed' },
        { at: '2026-12-03T09:59:59Z', outcome: 'refused' },
        { at: '2026-11-26T11:00:00Z', outcome: 'success' },
        { at: '2026-11-26T10:59:59Z', outcome: 'success' },
      ],
      NOW,
    );
    expect(buckets).toHaveLength(CHART_HOURS);
    expect(buckets[0]).toEqual({ hour: '2026-11-26T11:00:00.000Z', counts: { success: 1, refused: 0, failed: 0 } });
    expect(buckets.at(-1)).toEqual({ hour: '2026-12-03T10:00:00.000Z', counts: { success: 1, refused: 0, failed: 1 } });
    expect(buckets.at(-2)!.counts).toEqual({ success: 0, refused: 1, failed: 0 });
    expect(buckets.reduce((n, b) => n + b.counts.success + b.counts.refused + b.counts.failed, 0)).toBe(4);
  });

  it('stacks the outcomes of an hour and scales the busiest hour to the full height', async () => {
    const events = [
      ...Array.from({ length: 3 }, () => ({ at: '2026-12-03T10:00:00Z', outcome: 'success' as const })),
      { at: '2026-12-03T10:00:00Z', outcome: 'failed' as const },
      { at: '2026-12-03T08:00:00Z', outcome: 'success' as const },
    ];
    const svg = await activityChart(bucketByHour(events, NOW), 'Events', '5 events').toString();
    const rects = [...svg.matchAll(/<rect x="(\d+)" y="([\d.]+)" width="4" height="([\d.]+)" fill="(#\w+)"><title>([^<]+)<\/title>/g)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      height: Number(m[3]),
      fill: m[4],
      title: m[5],
    }));
    expect(rects.map((r) => r.title)).toEqual(['2026-12-03 08:00 UTC: 1 success', '2026-12-03 10:00 UTC: 3 success', '2026-12-03 10:00 UTC: 1 failed']);
    const [early, success, failed] = rects;
    // The plot is 180 high and the busiest hour holds 4: three quarters success, one quarter failed on top of it.
    expect(success.height).toBe(135);
    expect(failed.height).toBe(45);
    expect(failed.y + failed.height).toBeCloseTo(success.y);
    expect(success.x).toBe(failed.x);
    expect(early.height).toBe(45);
    expect(success.x - early.x).toBe(10);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('<title id="chart-title">Events</title>');
  });
});

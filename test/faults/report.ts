// What the suite prints: a block per scenario with its mismatch rows, a summary table, and `N passed, N failed`.
import type { ScenarioResult } from './scenario-run.ts';

/** Enough rows to see every kind of mismatch; the count says how many more there are. */
const ROWS_SHOWN = 40;
const LOG_LINES_SHOWN = 5;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const passed = (r: ScenarioResult) => r.mismatches.length === 0;

/** A mismatch's kind: its wording without the people, ids and values it names. */
export function kindOf(problem: string): string {
  return problem
    .replace(/p\d+ <[^>]*>/g, 'someone')
    .replace(/"[^"]*"/g, '…')
    .replace(/\d+/g, 'N');
}

function kinds(r: ScenarioResult): string {
  const counts = new Map<string, number>();
  for (const m of r.mismatches) counts.set(kindOf(m.problem), (counts.get(kindOf(m.problem)) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${n} × ${kind}`)
    .join('; ');
}

export function printScenario(r: ScenarioResult, reproduce: string, out: (line: string) => void): void {
  const { stats, faults, intents } = r;
  out(`\n== ${r.name} (seed ${r.seed}): ${r.what}`);
  out(`   reproduce: ${reproduce}`);
  out(
    `   requests ${stats.requests} · retries ${stats.retries} · 5xx seen ${stats.serverErrors} · 429 seen ${stats.throttled} · timeouts ${stats.timeouts} · connection errors ${stats.connectionErrors} · gave up ${stats.gaveUp}`,
  );
  out(
    `   intents ${intents.total} (not acknowledged during the run ${intents.failed}, never sent ${intents.skipped}) · BI faults: ${faults.failedBefore} 503 before, ${faults.lostAfter} answers lost, ${faults.slowed} slowed`,
  );
  if (r.events.length > 0) out(`   events: ${r.events.join('; ')}`);
  out(`   wall time ${seconds(r.wallMs)} · mismatches ${r.mismatches.length} → ${passed(r) ? 'PASS' : 'FAIL'}`);
  if (!passed(r)) out(`   by kind: ${kinds(r)}`);
  for (const m of r.mismatches.slice(0, ROWS_SHOWN)) out(`     - ${m.subject}: ${m.problem}`);
  if (r.mismatches.length > ROWS_SHOWN) out(`     … and ${r.mismatches.length - ROWS_SHOWN} more`);
  if (!passed(r) && r.errorLogs.length > 0) {
    out(`   bi-scim logged ${r.errorLogs.length} errors; the last ${Math.min(LOG_LINES_SHOWN, r.errorLogs.length)}:`);
    for (const line of r.errorLogs.slice(-LOG_LINES_SHOWN)) out(`     ${line.slice(0, 300)}`);
  }
}

export function printSummary(
  results: ScenarioResult[],
  failedToRun: Array<{ name: string; error: string }>,
  totalMs: number,
  out: (line: string) => void,
): void {
  const header = ['Scenario', 'Seed', 'Requests', 'Retries', '5xx seen', 'Gave up', 'Wall time', 'Mismatches', 'Result'];
  const rows = results.map((r) => [
    r.name,
    String(r.seed),
    String(r.stats.requests),
    String(r.stats.retries),
    String(r.stats.serverErrors),
    String(r.stats.gaveUp),
    seconds(r.wallMs),
    String(r.mismatches.length),
    passed(r) ? 'PASS' : 'FAIL',
  ]);
  rows.push(...failedToRun.map(({ name }) => [name, '', '', '', '', '', '', '', 'ERROR']));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  out('');
  out(line(header));
  rows.forEach((row) => out(line(row)));
  for (const { name, error } of failedToRun) out(`\n${name} could not run: ${error}`);
  const pass = results.filter(passed).length;
  out(`\nTotal wall time ${seconds(totalMs)}.`);
  out(`${pass} passed, ${results.length - pass + failedToRun.length} failed`);
}

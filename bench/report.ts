// The printed table (figure, value, goal, ratio, pass/miss) and bench/results/latest.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export type Verdict = 'pass' | 'miss' | 'info';

export interface Row {
  section: string;
  figure: string;
  value: string;
  goal: string;
  ratio: string;
  verdict: Verdict;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
}

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);
export const ms = (n: number) => `${n.toFixed(2)} ms`;
export const ratio = (n: number) => `${n.toFixed(2)}×`;

/** A row whose goal is "at most `limit`" (or "at least", with `atLeast`); the ratio is value / limit. */
export function judged(section: string, figure: string, value: number, limit: number, show: (n: number) => string, atLeast = false): Row {
  const pass = atLeast ? value >= limit : value <= limit;
  return { section, figure, value: show(value), goal: `${atLeast ? '≥' : '≤'} ${show(limit)}`, ratio: ratio(value / limit), verdict: pass ? 'pass' : 'miss' };
}

export function info(section: string, figure: string, value: string): Row {
  return { section, figure, value, goal: '', ratio: '', verdict: 'info' };
}

export function printTable(rows: Row[], out: (line: string) => void): void {
  const headers = { figure: 'Figure', value: 'Value', goal: 'Goal', ratio: 'Ratio', verdict: '' };
  const keys = ['figure', 'value', 'goal', 'ratio', 'verdict'] as const;
  const widths = keys.map((k) => Math.max(headers[k].length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  let section = '';
  out(line(keys.map((k) => headers[k])));
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      out(`\n== ${section}`);
    }
    out(line(keys.map((k) => (k === 'verdict' ? (row.verdict === 'info' ? '' : row.verdict.toUpperCase()) : row[k]))));
  }
  const judgedRows = rows.filter((r) => r.verdict !== 'info');
  out(`\n${judgedRows.filter((r) => r.verdict === 'pass').length} of ${judgedRows.length} goals met.`);
}

export async function writeResults(results: unknown, name = 'latest.json'): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name}`;
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

// How CLI verbs print what they read: a table for people, JSON lines or CSV for machines (design §7.5).
export type Io = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** A progress bar for long work, where a person watches a terminal; absent otherwise (design §7.5). */
  progress?: (label: string) => Progress;
};
export type Progress = (done: number, total: number) => void;

/** Redrawn in place on a terminal (stderr, so stdout stays clean for pipes); nothing when the stream is not a TTY. */
export function progressBar(label: string, stream: { isTTY?: boolean; write(text: string): unknown }): Progress {
  if (!stream.isTTY) return () => undefined;
  const width = 30;
  return (done, total) => {
    const filled = total > 0 ? Math.min(width, Math.round((width * done) / total)) : width;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${done >= total ? '\n' : ''}`);
  };
}
export type Format = 'table' | 'json' | 'csv';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Longer values are cut with an ellipsis in the table (never in CSV or JSON). */
  max?: number;
}

export function parseFormat(value: string | undefined, allowed: Format[] = ['table', 'json']): Format {
  const format = (value ?? 'table') as Format;
  if (!allowed.includes(format)) throw new Error(`--format takes ${allowed.join(', ')}, not "${value}"`);
  return format;
}

const cut = (text: string, max: number | undefined) => (max && text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** RFC 4180: quote fields holding a comma, a quote or a line break; double the quotes inside. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `withHeader: false` prints rows alone, as a followed stream does after its first page. */
export function printRows<T>(io: Io, format: Format, columns: Column<T>[], rows: T[], json: (row: T) => unknown, withHeader = true): void {
  if (format === 'json') {
    for (const row of rows) io.out(JSON.stringify(json(row)));
    return;
  }
  if (format === 'csv') {
    if (withHeader) io.out(columns.map((c) => csvField(c.header)).join(','));
    for (const row of rows) io.out(columns.map((c) => csvField(c.value(row))).join(','));
    return;
  }
  const cells = rows.map((row) => columns.map((c) => cut(c.value(row).replace(/\s+/g, ' '), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  if (withHeader) io.out(line(columns.map((c) => c.header)));
  for (const row of cells) io.out(line(row));
}

/** `24h`, `7d`, `30m` before now, or an ISO 8601 instant → milliseconds since the epoch. */
export function parseInstant(value: string, now = Date.now()): number {
  const relative = /^(\d+)([dhm])$/.exec(value);
  if (relative) return now - Number(relative[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'];
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`expected a duration like 24h or 7d, or an ISO date, not "${value}"`);
  return at;
}

/** `1h`, `30m`, `2d` → milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([dhm])$/.exec(value);
  if (!match || Number(match[1]) === 0) throw new Error(`expected a duration like 1h, 30m or 2d, not "${value}"`);
  return Number(match[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
}

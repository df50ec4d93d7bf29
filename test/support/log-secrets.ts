// Log secret scan: finds credentials (bearer tokens, API keys, session ids, passwords) in collected log lines.
import type { DestinationStream } from 'pino';

export interface Secret {
  /** What it is, for the report: "bearer token", "Metabase API key"… (never the value). */
  name: string;
  value: string;
}

export interface SecretFinding {
  secret: string;
  /** Index of the line in the scanned list. */
  line: number;
  /** The line with every secret masked, cut to a readable length. */
  excerpt: string;
}

/** Shorter values would be found by accident (a 4-character password matches half the words in a log). */
export const MIN_SECRET_LENGTH = 8;
const EXCERPT_CHARS = 300;

/** The forms a value takes when it is logged inside JSON, a URL or a Basic credential. */
function spellings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const forms = [value, json, encodeURIComponent(value), Buffer.from(value).toString('base64')];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

function mask(line: string, secrets: readonly Secret[]): string {
  let masked = line;
  for (const { name, value } of secrets) for (const form of spellings(value)) masked = masked.split(form).join(`[${name}]`);
  return masked.length > EXCERPT_CHARS ? `${masked.slice(0, EXCERPT_CHARS)}…` : masked;
}

/** Each spelling of each secret, under its first MIN_SECRET_LENGTH characters, so a line is read once whatever their number. */
function indexSpellings(secrets: readonly Secret[]): Map<string, Array<{ name: string; form: string }>> {
  const index = new Map<string, Array<{ name: string; form: string }>>();
  for (const { name, value } of secrets) {
    for (const form of spellings(value)) {
      const key = form.slice(0, MIN_SECRET_LENGTH);
      index.set(key, [...(index.get(key) ?? []), { name, form }]);
    }
  }
  return index;
}

/** The names of the secrets in one line: every position is looked up in the index, then the whole spelling compared. */
function secretsIn(line: string, index: ReturnType<typeof indexSpellings>): Set<string> {
  const found = new Set<string>();
  for (let at = 0; at + MIN_SECRET_LENGTH <= line.length; at++) {
    for (const { name, form } of index.get(line.slice(at, at + MIN_SECRET_LENGTH)) ?? []) if (line.startsWith(form, at)) found.add(name);
  }
  return found;
}

/**
 * Every line that holds a secret, in any of its spellings. Throws when a secret is too short to scan for: a scan
 * that cannot tell a credential from chance would pass or fail for no reason. A fuzz run presents thousands of
 * tokens and logs a hundred thousand lines, hence the index rather than a search per secret per line.
 */
export function findSecretsInLogs(lines: readonly string[], secrets: readonly Secret[]): SecretFinding[] {
  for (const { name, value } of secrets) {
    if (value.length < MIN_SECRET_LENGTH)
      throw new Error(`The ${name} is ${value.length} characters long; use one of at least ${MIN_SECRET_LENGTH} to scan logs for it`);
  }
  const index = indexSpellings(secrets);
  return lines.flatMap((line, at) => [...secretsIn(line, index)].map((secret) => ({ secret, line: at, excerpt: mask(line, secrets) })));
}

/** For assertion messages: one finding per line of text. */
export function describeFindings(findings: readonly SecretFinding[]): string {
  return findings.map((f) => `line ${f.line}: ${f.secret} in ${f.excerpt}`).join('\n');
}

/** A pino destination that keeps every line written to it, for scanning after the run. */
export function collectLogLines(): { destination: DestinationStream; lines: string[] } {
  const lines: string[] = [];
  const destination = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter((line) => line !== '')) };
  return { destination, lines };
}

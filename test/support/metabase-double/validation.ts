// Request checks as Metabase's defendpoint schemas (malli) and paging middleware make them, with their exact messages.
import { exceptionError, MetabaseError } from './responses.ts';

/** metabase.util/email? (matched against the lower-cased string). */
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && EMAIL.test(value.toLowerCase());
}

/** Clojure's pr-str of a decoded JSON value, as malli's "received: …" shows it. */
function shown(value: unknown): string {
  return value === undefined || value === null ? 'nil' : JSON.stringify(value);
}

interface Kind {
  /** The api-error-message of the metabase.util.malli.schema entry. */
  message: string;
  accepts(value: unknown): boolean;
  /** malli's own explanations; only the non-blank string wording is confirmed by Metabase's tests. */
  specific(value: unknown): string[];
}

const isNonBlank = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '';

export const KINDS = {
  nonBlankString: {
    message: 'value must be a non-blank string.',
    accepts: isNonBlank,
    specific: (v) => [...(typeof v === 'string' ? [] : [`should be a string, received: ${shown(v)}`]), `non-blank string, received: ${shown(v)}`],
  },
  email: {
    message: 'value must be a valid email address.',
    accepts: isEmail,
    specific: (v) => [...(typeof v === 'string' ? [] : [`should be a string, received: ${shown(v)}`]), `must be a valid email address, received: ${shown(v)}`],
  },
  positiveInt: {
    message: 'value must be an integer greater than zero.',
    accepts: (v) => Number.isSafeInteger(v) && (v as number) > 0,
    specific: (v) => [`should be a positive int, received: ${shown(v)}`],
  },
  booleanValue: {
    message: "value must be a valid boolean string ('true' or 'false').",
    accepts: (v) => v === true || v === false || v === 'true' || v === 'false',
    specific: (v) => [`should be either "true", "false", true or false, received: ${shown(v)}`],
  },
  boolean: {
    message: 'value must be a boolean.',
    accepts: (v) => typeof v === 'boolean',
    specific: (v) => [`should be a boolean, received: ${shown(v)}`],
  },
  string: {
    message: 'value must be a string.',
    accepts: (v) => typeof v === 'string',
    specific: (v) => [`should be a string, received: ${shown(v)}`],
  },
  locale: {
    message: "String must be a valid two-letter ISO language or language-country code e.g. 'en' or 'en_US'.",
    accepts: (v) => typeof v === 'string' && normalizeLocale(v) !== null,
    specific: (v) => [`must be a valid locale, received: ${shown(v)}`],
  },
} satisfies Record<string, Kind>;

/** Collects every failing key of one request, then fails with `errors` and `specific-errors` together (400). */
export class Schema {
  private readonly errors: Record<string, string> = {};
  private readonly specific: Record<string, string[]> = {};
  private readonly source: Record<string, unknown>;

  constructor(source: Record<string, unknown>) {
    this.source = source;
  }

  /** `[:key kind]` when required, `[:key {:optional true} [:maybe kind]]` when nullable (present null is fine). */
  check(key: string, kind: Kind, options: { required?: boolean; nullable?: boolean } = {}): this {
    const { required = false, nullable = !required } = options;
    const present = Object.hasOwn(this.source, key);
    const value = this.source[key];
    if (!present && !required) return this;
    if (nullable && value === null) return this;
    if (present && kind.accepts(value)) return this;
    return this.fail(key, `${nullable ? 'nullable ' : ''}${kind.message}`, kind.specific(value));
  }

  fail(key: string, message: string, specific: string[]): this {
    this.errors[key] = message;
    this.specific[key] = specific;
    return this;
  }

  value(key: string): unknown {
    return this.source[key];
  }

  done(): void {
    if (Object.keys(this.errors).length > 0) {
      throw new MetabaseError(400, { errors: this.errors, 'specific-errors': this.specific });
    }
  }
}

/** Query-string values arrive as text; PositiveInt and BooleanValue params are decoded before they are checked. */
export function decodeQueryValue(raw: string | null, kind: 'int' | 'boolean' | 'string'): unknown {
  if (raw === null) return undefined;
  if (kind === 'int' && /^-?\d+$/.test(raw)) return Number(raw);
  if (kind === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

function knownName(names: Intl.DisplayNames, code: string): boolean {
  try {
    return names.of(code) !== undefined;
  } catch {
    return false;
  }
}

/** `xx` or `xx_YY` for a known language (and country), dashes or underscores, any case; null when invalid. */
export function normalizeLocale(locale: string): string | null {
  const match = /^([a-z]{2})(?:[-_]([a-z]{2}))?$/i.exec(locale.trim());
  if (!match) return null;
  const language = match[1].toLowerCase();
  const country = match[2]?.toUpperCase();
  if (!knownName(languageNames, language) || (country && !knownName(regionNames, country))) return null;
  return country ? `${language}_${country}` : language;
}

export interface Paging {
  limit: number | null;
  offset: number | null;
}

/** The slice a paged request asks for; an unpaged request gets everything. */
export function pageOf<T>(items: T[], { limit, offset }: Paging): T[] {
  return limit === null ? items : items.slice(offset ?? 0, (offset ?? 0) + limit);
}

/** Java's Integer/parseUnsignedInt, with its NumberFormatException messages. */
function parseUnsignedInt(raw: string): number {
  if (raw.startsWith('-')) throw new Error(`Illegal leading minus sign on unsigned string ${raw}.`);
  if (!/^\+?\d+$/.test(raw)) throw new Error(`For input string: "${raw}"`);
  const value = Number(raw);
  if (value > 0xffffffff) throw new Error(`String value ${raw} exceeds range of unsigned int.`);
  return value;
}

/**
 * The offset-paging middleware (metabase-api.md §1.1): no params → no paging and null/null in the envelope; only
 * `limit` → offset 0; only `offset` → limit 50; a value that is not an unsigned integer → 400 JSON.
 */
export function parsePaging(query: URLSearchParams): Paging {
  const limit = query.get('limit');
  const offset = query.get('offset');
  if (limit === null && offset === null) return { limit: null, offset: null };
  try {
    return { limit: limit === null ? 50 : parseUnsignedInt(limit), offset: offset === null ? 0 : parseUnsignedInt(offset) };
  } catch (err) {
    const cause = (err as Error).message;
    throw exceptionError(400, `Error parsing paging parameters: ${cause}`, { javaClass: 'java.lang.NumberFormatException', cause });
  }
}

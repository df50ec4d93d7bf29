// Request lines and headers: ids, query strings (%-encoding, +, invalid escapes, trailing slashes), auth and media types.
import fc from 'fast-check';
import { ATTRIBUTE_PATHS, anyFilter } from './filters.ts';
import { sizeUpTo, oddString } from './unicode.ts';

/** UTF-8, except that a lone surrogate gets the three bytes UTF-8 would give it (WTF-8): an escape no decoder accepts. */
function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return bytes;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** How a client may write a value into a URL: percent-encoded, with + for spaces, raw, or with a broken escape. */
export type Spelling = 'percent' | 'plus' | 'raw' | 'broken';

export function spell(text: string, spelling: Spelling, breakAt = 0): string {
  if (spelling === 'raw') return text.replace(/[#?&/]/g, (ch) => `%${ch.charCodeAt(0).toString(16)}`);
  const encoded = [...text]
    .map((ch) =>
      UNRESERVED.test(ch)
        ? ch
        : spelling === 'plus' && ch === ' '
          ? '+'
          : utf8Bytes(ch)
              .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
              .join(''),
    )
    .join('');
  if (spelling !== 'broken') return encoded;
  const at = breakAt % (encoded.length + 1);
  return `${encoded.slice(0, at)}${['%', '%Z', '%zz', '%E', '%C3%28', '%ED%A0%80', '%00'][breakAt % 7]}${encoded.slice(at)}`;
}

export const spelling = fc.constantFrom<Spelling>('percent', 'plus', 'raw', 'broken');

/** Known ids, numbers at the edges of what an id may be, and odd strings; as a path segment, in any spelling. */
export function idSegment(knownIds: readonly string[]): fc.Arbitrary<string> {
  const id = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...knownIds) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('0', '-1', '01', '1e3', '1.0', ' 1', '0x10', 'NaN', 'Infinity', '9'.repeat(30), '9007199254740993', '.', '..', '%', ''),
    },
    { weight: 3, arbitrary: oddString(30) },
  );
  return fc.tuple(id, spelling, fc.nat()).map(([value, how, at]) => spell(value, how, at));
}

const LIST_KEYS = ['filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes'];

/** A comma-separated attribute list; rarely up to 120,000 names (the cost of projection grows with it). */
const attributeList = fc
  .tuple(fc.array(fc.constantFrom(...ATTRIBUTE_PATHS, 'members', 'emails[type eq "work"]', ''), { minLength: 1, maxLength: 8 }), sizeUpTo(120_000))
  .map(([names, size]) =>
    Array.from({ length: Math.max(1, size >> 3) }, () => names)
      .flat()
      .join(','),
  );

function queryValue(key: string, known: readonly string[]): fc.Arbitrary<string> {
  const odd = oddString(20);
  switch (key) {
    case 'filter':
      return anyFilter(known);
    case 'startIndex':
    case 'count':
      return fc.oneof(fc.integer({ min: -5, max: 2_000 }).map(String), fc.constantFrom('', '1.5', '1e2', '0x10', '99999999999999999999', ' 3'), odd);
    case 'sortOrder':
      return fc.oneof(fc.constantFrom('ascending', 'descending', 'DESCENDING', ''), odd);
    case 'sortBy':
      return fc.oneof(fc.constantFrom(...ATTRIBUTE_PATHS), odd);
    case 'attributes':
    case 'excludedAttributes':
      return fc.oneof(attributeList, odd);
    default:
      return odd;
  }
}

/** `?…` or nothing: list parameters and strangers, each in its own spelling, sometimes repeated or malformed. */
export function queryString(known: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...LIST_KEYS) }, { weight: 1, arbitrary: oddString(8) });
  const pair = key.chain((k) => fc.tuple(fc.constant(k), queryValue(k, known), spelling, fc.nat(), fc.constantFrom('=', '=', '=', '', '==')));
  const pairs = fc
    .array(pair, { maxLength: 4 })
    .map((list) => list.map(([k, v, how, at, eq]) => `${spell(k, how === 'broken' ? 'percent' : how)}${eq}${spell(v, how, at)}`));
  return fc.tuple(pairs, fc.constantFrom('&', '&', '&&', ';')).map(([list, sep]) => (list.length === 0 ? '' : `?${list.join(sep)}`));
}

/** A field value HTTP can carry (RFC 9110 §5.5): visible ASCII, space, tab and obs-text (0x80–0xFF). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters a field value may not hold are what it removes.
const headerText = (maxLength: number) => fc.string({ unit: 'binary-ascii', maxLength }).map((s) => s.replace(/[\0-\x08\x0a-\x1f\x7f]/g, ''));

/** A bearer token nobody issued, long enough that finding it in a log line is no accident. */
export const strangerToken = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }).map((hex) => `fz-${hex}`);

export function authorization(token: string): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}  `, `Bearer\t${token}`) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        null,
        '',
        'Bearer',
        'Bearer ',
        `Bearer ${token}x`,
        `Bearer ${token} ${token}`,
        `Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
        `Token ${token}`,
      ),
    },
    { weight: 2, arbitrary: strangerToken.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: headerText(40).map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: sizeUpTo(16_000).map((n) => `Bearer ${token.repeat(Math.ceil(n / token.length)).slice(0, n)}`) },
  );
}

const CONTENT_TYPES = [
  'application/scim+json',
  'application/scim+json; charset=utf-8',
  'application/json',
  'text/json',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/scim+jsonx',
  'application/xml',
  ';',
  '',
];
const ACCEPTS = ['application/scim+json', 'application/json', '*/*', 'text/html', 'application/xml', 'application/scim+json;q=0', ''];

/** Headers an IdP, a proxy or a stranger may send; null leaves a header out. */
export function headers(token: string): fc.Arbitrary<Record<string, string | null>> {
  const maybe = (arb: fc.Arbitrary<string>) => fc.option(arb, { freq: 2 });
  return fc.record({
    authorization: authorization(token),
    'content-type': fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerText(30))),
    accept: maybe(fc.oneof(fc.constantFrom(...ACCEPTS), headerText(30))),
    'user-agent': maybe(headerText(60)),
    'x-forwarded-host': maybe(fc.oneof(fc.constantFrom('idp.example.com', 'a:1', '[::1]:8', 'x y', '..', 'h/p?q#f'), headerText(30))),
    'x-forwarded-proto': maybe(fc.oneof(fc.constantFrom('https', 'http', 'https, http', 'javascript', ''), headerText(10))),
    'x-request-id': maybe(headerText(300)),
  });
}

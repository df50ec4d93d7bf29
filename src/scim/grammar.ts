// The one grammar of SCIM filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2, §3.10): tokenizer and parser.
import { formatPath, type AttributePath, type ComparisonOperator, type ComparisonValue, type FilterNode } from './ast.ts';
import { ScimError } from './errors.ts';
import { URN } from './urns.ts';

export const MAX_EXPRESSION_LENGTH = 8192;
export const MAX_NESTING_DEPTH = 50;

const KNOWN_SCHEMAS = [URN.user, URN.group, URN.enterpriseUser] as const;
/** ATTRNAME = ALPHA *(nameChar) (RFC 7643 §2.1); `$ref` is the one reserved name that breaks the rule. */
const ATTRIBUTE_NAME = /^(?:[A-Za-z][\w-]*|\$ref)$/;

const COMPARISON_OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
/** Only eq and ne make sense on booleans and null (RFC 7644 §3.4.2.2). */
const ORDERING_OR_SUBSTRING = new Set(COMPARISON_OPERATORS.filter((op) => op !== 'eq' && op !== 'ne'));
const LITERALS: Record<string, boolean | null> = { true: true, false: false, null: null };

type ErrorCode = 'invalidFilter' | 'invalidPath';

interface Token {
  kind: (typeof TOKEN_KINDS)[number];
  text: string;
  position: number;
}

const TOKEN_KINDS = ['space', 'punct', 'string', 'number', 'word'] as const;
const TOKEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a JSON string may not hold raw control characters (RFC 8259 §7).
  /(?<space>\s+)|(?<punct>[()[\]])|(?<string>"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")|(?<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])|(?<word>[A-Za-z$.][\w$:.-]*)/y;

function tokenize(text: string, code: ErrorCode): Token[] {
  const tokens: Token[] = [];
  for (let position = 0; position < text.length; position = TOKEN.lastIndex) {
    TOKEN.lastIndex = position;
    const groups = TOKEN.exec(text)?.groups;
    if (!groups) {
      const what = text[position] === '"' ? 'an unterminated or badly escaped string' : `unexpected character '${text[position]}'`;
      throw new ScimError(code, `Syntax error at position ${position}: ${what}`);
    }
    const kind = TOKEN_KINDS.find((k) => groups[k] !== undefined)!;
    if (kind !== 'space') tokens.push({ kind, text: groups[kind], position });
  }
  return tokens;
}

function checkName(name: string, code: ErrorCode, position: number): string {
  if (!ATTRIBUTE_NAME.test(name)) throw new ScimError(code, `"${name}" at position ${position} is not a valid attribute name`);
  return name;
}

/**
 * Splits `[URI ":"] ATTRNAME ["." subAttr]`. A URN contains dots and colons, so the longest known schema URN is
 * cut off first; an unknown `urn:` prefix ends at the last colon. A bare known URN names the extension object.
 */
function splitAttributeWord(word: string, code: ErrorCode, position: number): AttributePath {
  let schema: string | null = null;
  let rest = word;
  if (/^urn:/i.test(word)) {
    const lower = word.toLowerCase();
    const exact = KNOWN_SCHEMAS.find((urn) => urn.toLowerCase() === lower);
    if (exact) return { schema: null, attribute: exact, subAttribute: null, valueFilter: null };
    const known = KNOWN_SCHEMAS.filter((urn) => lower.startsWith(`${urn.toLowerCase()}:`)).sort((a, b) => b.length - a.length)[0];
    const cut = known ? known.length : word.lastIndexOf(':');
    if (cut <= 'urn:'.length) throw new ScimError(code, `"${word}" at position ${position} is not a valid attribute path`);
    schema = known ?? word.slice(0, cut);
    rest = word.slice(cut + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2) throw new ScimError(code, `"${word}" at position ${position} has more than one sub-attribute`);
  const subAttribute = parts.length === 2 ? checkName(parts[1], code, position) : null;
  return { schema, attribute: checkName(parts[0], code, position), subAttribute, valueFilter: null };
}

/** Recursive descent over the RFC 7644 §3.4.2.2 ABNF; precedence not > and > or. */
class Parser {
  readonly source: string;
  readonly code: ErrorCode;
  readonly tokens: Token[];
  index = 0;
  depth = 0;

  constructor(source: string, code: ErrorCode) {
    const what = code === 'invalidFilter' ? 'filter' : 'path';
    if (source.length > MAX_EXPRESSION_LENGTH) throw new ScimError(code, `The ${what} is longer than ${MAX_EXPRESSION_LENGTH} characters`);
    this.source = source;
    this.code = code;
    this.tokens = tokenize(source, code);
  }

  fail(message: string, token: Token | undefined = this.tokens[this.index]): never {
    const where = token ? `at position ${token.position} ('${token.text}')` : 'at the end';
    throw new ScimError(this.code, `${message} ${where} in "${this.source}"`);
  }

  /** Consumes and returns the next token when it is of `kind` (and, for words, one of `texts`, any case). */
  accept(kind: Token['kind'], ...texts: string[]): Token | undefined {
    const token = this.tokens[this.index];
    if (token?.kind !== kind || (texts.length > 0 && !texts.includes(token.text.toLowerCase()))) return undefined;
    this.index++;
    return token;
  }

  expect(kind: Token['kind'], text: string): void {
    if (!this.accept(kind, text)) this.fail(`Expected '${text}'`);
  }

  expectEnd(): void {
    if (this.index < this.tokens.length) this.fail('Unexpected token');
  }

  nested<T>(parse: () => T): T {
    if (++this.depth > MAX_NESTING_DEPTH) this.fail(`Nesting deeper than ${MAX_NESTING_DEPTH} levels`);
    const result = parse();
    this.depth--;
    return result;
  }

  or(): FilterNode {
    return this.chain('or', () => this.chain('and', () => this.unary()));
  }

  chain(op: 'and' | 'or', operand: () => FilterNode): FilterNode {
    let left = operand();
    while (this.accept('word', op)) left = { op, left, right: operand() };
    return left;
  }

  /** `not` takes a parenthesised filter in the ABNF; a bare attribute expression after it is accepted too. */
  unary(): FilterNode {
    if (this.accept('word', 'not')) return this.nested(() => ({ op: 'not', filter: this.unary() }));
    if (!this.accept('punct', '(')) return this.attributeExpression();
    const inner = this.nested(() => this.or());
    this.expect('punct', ')');
    return inner;
  }

  attributePath(): AttributePath {
    const token = this.accept('word');
    if (!token || token.text.startsWith('.')) this.fail('Expected an attribute name', token);
    return splitAttributeWord(token.text, this.code, token.position);
  }

  /** After `attrPath`: an optional `[valFilter]`, then an optional `.subAttr`. */
  valueFilter(path: AttributePath): void {
    if (!this.accept('punct', '[')) return;
    if (path.subAttribute) this.fail('A value filter cannot follow a sub-attribute', this.tokens[this.index - 1]);
    path.valueFilter = this.nested(() => this.or());
    this.expect('punct', ']');
    const next = this.tokens[this.index];
    if (next?.kind === 'word' && next.text.startsWith('.')) path.subAttribute = checkName(this.accept('word')!.text.slice(1), this.code, next.position);
  }

  attributeExpression(): FilterNode {
    const path = this.attributePath();
    this.valueFilter(path);
    const { valueFilter, subAttribute } = path;
    if (!valueFilter) return this.comparison(path);
    const element: AttributePath = { ...path, subAttribute: null, valueFilter: null };
    if (!subAttribute) return { op: 'valuePath', path: element, filter: valueFilter };
    // Entra sends `emails[type eq "work"].value eq "x"`: one value must satisfy both conditions.
    const inner = this.comparison({ schema: null, attribute: subAttribute, subAttribute: null, valueFilter: null });
    return { op: 'valuePath', path: element, filter: { op: 'and', left: valueFilter, right: inner } };
  }

  comparison(path: AttributePath): FilterNode {
    const operator = this.accept('word', 'pr', ...COMPARISON_OPERATORS);
    if (!operator) return this.fail(`Expected an operator after "${formatPath(path)}"`);
    const op = operator.text.toLowerCase() as ComparisonOperator | 'pr';
    if (op === 'pr') return { op, path };
    const value = this.comparisonValue();
    if (ORDERING_OR_SUBSTRING.has(op) && (typeof value === 'boolean' || value === null)) this.fail(`"${op}" cannot compare with ${value}`, operator);
    return { op, path, value };
  }

  comparisonValue(): ComparisonValue {
    const string = this.accept('string');
    if (string) return JSON.parse(string.text) as string;
    const number = this.accept('number');
    if (number) return Number(number.text);
    const literal = this.accept('word', ...Object.keys(LITERALS));
    return literal ? LITERALS[literal.text.toLowerCase()] : this.fail('Expected a string, number, true, false or null');
  }
}

/** Parses a filter; errors are ScimError('invalidFilter') naming the position. */
export function parseFilter(text: string): FilterNode {
  const parser = new Parser(text, 'invalidFilter');
  if (parser.tokens.length === 0) throw new ScimError('invalidFilter', 'The filter is empty');
  const node = parser.or();
  parser.expectEnd();
  return node;
}

/** A PATCH path or attribute name: `attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2). */
export function parseAttributePath(text: string): AttributePath {
  const parser = new Parser(text.trim(), 'invalidPath');
  const path = parser.attributePath();
  parser.valueFilter(path);
  parser.expectEnd();
  return path;
}

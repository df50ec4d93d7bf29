// Attribute projection (RFC 7644 §3.4.2.5, §3.9) and sorting (RFC 7644 §3.4.2.3) of SCIM JSON resources.
import { ScimError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { toComparable, type Comparable } from './filter.ts';
import { formatPath, type AttributePath } from './ast.ts';
import { parseAttributePath } from './grammar.ts';
import { containerOf, isCoreSchema, isObject, memberOf, readAttribute } from './path.ts';
import type { ScimDoc } from './resources.ts';

/** `id` is returned always (RFC 7643 §3.1); `schemas` too, so every answer still says what it is. */
const ALWAYS_RETURNED = new Set(['id', 'schemas']);

/** The comma-separated `attributes` / `excludedAttributes` query parameter. */
export function parseAttributeList(query: string | undefined): string[] {
  return checkAttributeNames((query ?? '').split(','));
}

/** Trimmed, non-empty names, at most LIMITS.maxAttributeNames of them. */
export function checkAttributeNames(names: unknown[]): string[] {
  const list = names.map((name) => String(name).trim()).filter((name) => name !== '');
  if (list.length > LIMITS.maxAttributeNames) throw new ScimError('invalidValue', `At most ${LIMITS.maxAttributeNames} attribute names may be listed`);
  return list;
}

/** Chosen attributes as a tree of lower-case names; `true` stands for a whole value. */
type Selection = Map<string, Selection | true>;

/** The keys leading to an attribute in `resource`: `[urn, attribute, sub]` for extension attributes. */
function keysOf(resource: ScimDoc, name: string): string[] {
  const path = parseAttributePath(name);
  if (path.valueFilter) throw new ScimError('invalidPath', `"${name}": attribute lists cannot carry a value filter`);
  const tail = path.subAttribute ? [path.attribute, path.subAttribute] : [path.attribute];
  if (!isCoreSchema(path.schema)) return [path.schema!, ...tail];
  // An unqualified name that only an extension has is that extension's attribute (RFC 7644 §3.10).
  const container = containerOf(resource, path);
  const extension = Object.keys(resource).find((key) => container !== resource && resource[key] === container);
  return extension ? [extension, ...tail] : tail;
}

function select(tree: Selection, keys: string[]): void {
  const [first, ...rest] = keys;
  const key = first.toLowerCase();
  const current = tree.get(key);
  if (current === true) return;
  if (rest.length === 0) return void tree.set(key, true);
  const child: Selection = current ?? new Map();
  tree.set(key, child);
  select(child, rest);
}

function selectionOf(resource: ScimDoc, names: string[]): Selection {
  const tree: Selection = new Map();
  for (const name of names) select(tree, keysOf(resource, name));
  return tree;
}

const isEmpty = (value: unknown) => value === undefined || (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);

/** Keeps only what the selection names; values left empty disappear. */
function pick(value: unknown, selection: Selection | true): unknown {
  if (selection === true) return value;
  if (Array.isArray(value)) return value.map((item) => pick(item, selection)).filter((item) => !isEmpty(item));
  if (!isObject(value)) return undefined;
  const out: ScimDoc = {};
  for (const [key, item] of Object.entries(value)) {
    const chosen = selection.get(key.toLowerCase());
    const kept = chosen && pick(item, chosen);
    if (chosen && !isEmpty(kept)) out[key] = kept;
  }
  return out;
}

/** Drops what the selection names; objects it empties disappear. */
function omit(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) return value.map((item) => omit(item, selection));
  if (!isObject(value)) return value;
  const out: ScimDoc = {};
  for (const [key, item] of Object.entries(value)) {
    const chosen = selection.get(key.toLowerCase());
    const kept = chosen === undefined ? item : chosen === true ? undefined : omit(item, chosen);
    if (chosen === undefined || !isEmpty(kept)) out[key] = kept;
  }
  return out;
}

/**
 * A copy of `resource` with only the `attributes` named (plus `id` and `schemas`), then without the
 * `excludedAttributes` (never `id` or `schemas`). Names may be dotted or URN-qualified, in any case.
 */
export function projectAttributes(resource: ScimDoc, projection: { attributes?: string[]; excludedAttributes?: string[] }): ScimDoc {
  const { attributes = [], excludedAttributes = [] } = projection;
  let result = structuredClone(resource);
  if (attributes.length > 0) result = pick(result, selectionOf(resource, [...ALWAYS_RETURNED, ...attributes])) as ScimDoc;
  const excluded = excludedAttributes.filter((name) => !ALWAYS_RETURNED.has(parseAttributePath(name).attribute.toLowerCase()));
  if (excluded.length > 0) result = omit(result, selectionOf(resource, excluded)) as ScimDoc;
  return result;
}

/** The value a resource sorts by: of a multi-valued attribute the primary value, else the first (RFC 7644 §3.4.2.3). */
function sortKey(resource: ScimDoc, path: AttributePath): Comparable | undefined {
  let value = readAttribute(resource, path);
  if (Array.isArray(value)) value = value.find((item) => isObject(item) && memberOf(item, 'primary') === true) ?? value[0];
  let name = formatPath(path).toLowerCase();
  if (path.subAttribute) value = isObject(value) ? memberOf(value, path.subAttribute) : undefined;
  else if (isObject(value)) [value, name] = [memberOf(value, 'value'), `${name}.value`];
  return toComparable(value, name);
}

/** Missing values sort last; mixed types compare as text. */
function compareKeys(a: Comparable | undefined, b: Comparable | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const [x, y] = typeof a === typeof b ? [a, b] : [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A comparator for `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3): strings case-insensitive unless case-exact,
 * dates as instants; resources without a value come last ascending and first descending.
 */
export function compareBy(sortBy: string, sortOrder: 'ascending' | 'descending' = 'ascending'): (a: ScimDoc, b: ScimDoc) => number {
  const path = parseAttributePath(sortBy);
  const direction = sortOrder === 'descending' ? -1 : 1;
  return (a, b) => direction * compareKeys(sortKey(a, path), sortKey(b, path));
}

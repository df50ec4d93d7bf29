// PATCH (RFC 7644 §3.5.2): applies parsed operations to a SCIM document, purely and atomically.
// Longer because add, remove and replace, with and without value filters, share one walker over the document.
import { isDeepStrictEqual } from 'node:util';
import { ScimError } from './errors.ts';
import { formatPath, type AttributePath, type FilterNode } from './ast.ts';
import { describedElement, matchesFilter } from './filter.ts';
import { parseAttributePath } from './grammar.ts';
import { findKey, isCoreSchema, isObject, memberOf } from './path.ts';
import { toBoolean, type ScimDoc } from './resources.ts';
import { ATTRIBUTE_FACTS } from './schemas.ts';
import type { PatchOpName, PatchOperation } from './patch-message.ts';
import { URN } from './urns.ts';

/** Attribute facts the engine needs; each defaults to the schema table's (ATTRIBUTE_FACTS). */
export interface PatchOptions {
  /** Attributes and sub-attributes whose "True"/"False" strings become booleans. */
  booleanAttributes?: string[];
  /** Top-level attributes no operation may target (RFC 7643 §2.2 mutability). */
  readOnlyAttributes?: string[];
  multiValuedAttributes?: string[];
  /** Unqualified names that belong to an extension schema, e.g. `manager` → the enterprise User URN. */
  extensionAttributes?: Record<string, string>;
}

/** Okta's group rename sends the read-only `id` inside a path-less value: these keys are skipped, not refused. */
const IGNORED_VALUE_KEYS = new Set(['id', 'meta', 'schemas']);
/** Removing someone who is not a member is a no-op, not noTarget, so IdP retries stay idempotent. */
const IDEMPOTENT_REMOVALS = new Set(['members']);

interface Settings {
  booleans: ReadonlySet<string>;
  readOnly: ReadonlySet<string>;
  multiValued: ReadonlySet<string>;
  extensions: ReadonlyMap<string, string>;
}

const DEFAULT_SETTINGS: Settings = ATTRIBUTE_FACTS;

function settingsOf(options: PatchOptions): Settings {
  const lowered = (names: string[] | undefined, fallback: ReadonlySet<string>) => (names ? new Set(names.map((n) => n.toLowerCase())) : fallback);
  return {
    booleans: lowered(options.booleanAttributes, DEFAULT_SETTINGS.booleans),
    readOnly: lowered(options.readOnlyAttributes, DEFAULT_SETTINGS.readOnly),
    multiValued: lowered(options.multiValuedAttributes, DEFAULT_SETTINGS.multiValued),
    extensions: options.extensionAttributes
      ? new Map(Object.entries(options.extensionAttributes).map(([name, urn]) => [name.toLowerCase(), urn]))
      : DEFAULT_SETTINGS.extensions,
  };
}

/** Where one operation lands: an attribute of the resource or of one of its extension objects. */
interface Target {
  container: ScimDoc;
  key: string;
  subAttribute: string | null;
  filter: FilterNode | null;
  multiValued: boolean;
  /** `schema:attribute` in lower case, e.g. `…:enterprise:2.0:user:manager`. */
  qualifiedName: string;
}

function schemaFor(path: AttributePath, s: Settings): string | null {
  if (!isCoreSchema(path.schema)) return path.schema;
  return path.schema ? null : (s.extensions.get(path.attribute.toLowerCase()) ?? null);
}

function resolveTarget(doc: ScimDoc, path: AttributePath, s: Settings): Target {
  const schema = schemaFor(path, s);
  if (schema === null && s.readOnly.has(path.attribute.toLowerCase())) {
    throw new ScimError('mutability', `"${formatPath(path)}" is read-only (RFC 7643 §2.2)`);
  }
  const schemaKey = schema === null ? undefined : (findKey(doc, schema) ?? schema);
  if (schemaKey !== undefined && !isObject(doc[schemaKey])) doc[schemaKey] = {};
  const container = schemaKey === undefined ? doc : (doc[schemaKey] as ScimDoc);
  const key = findKey(container, path.attribute) ?? path.attribute;
  const multiValued = s.multiValued.has(path.attribute.toLowerCase()) || Array.isArray(container[key]);
  return {
    container,
    key,
    subAttribute: path.subAttribute,
    filter: path.valueFilter,
    multiValued,
    qualifiedName: `${schema ?? ''}:${path.attribute}`.toLowerCase(),
  };
}

/** Entra's default dialect sends `manager` as an array of one reference or as a bare id; "" or no id clears it. */
function toManagerReference(value: unknown): unknown {
  const item = Array.isArray(value) ? (value[0] ?? null) : value;
  if (typeof item === 'string') return item === '' ? null : { value: item };
  if (!isObject(item)) return item;
  const id = memberOf(item, 'value');
  if (id === undefined || id === null || id === '') return null;
  const reference: ScimDoc = { value: id };
  for (const name of ['$ref', 'displayName']) if (typeof memberOf(item, name) === 'string') reference[name] = memberOf(item, name);
  return reference;
}

/** References are replaced whole: keeping the old `displayName` beside a new `value` would describe someone else. */
const REFERENCES: Record<string, (value: unknown) => unknown> = {
  [`${URN.enterpriseUser}:manager`.toLowerCase()]: toManagerReference,
};

/** Drops nulls inside values (unassigned, RFC 7643 §2.5) and turns boolean strings into booleans. */
function normalize(value: unknown, name: string, s: Settings): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map((v) => normalize(v, name, s));
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, normalize(v, k, s)]),
    );
  }
  // Entra's default dialect sends booleans as "True"/"False" strings (active, primary).
  if (typeof value === 'string' && s.booleans.has(name.toLowerCase())) return toBoolean(value, name);
  return value;
}

function noTarget(target: Target): ScimError {
  return new ScimError('noTarget', `No value of "${target.key}" matches the filter (RFC 7644 §3.5.2)`);
}

function setMember(object: ScimDoc, name: string, value: unknown): void {
  const key = findKey(object, name) ?? name;
  if (value === null || value === undefined) delete object[key];
  else object[key] = value;
}

function mergeInto(object: ScimDoc, value: unknown): ScimDoc {
  if (!isObject(value)) throw new ScimError('invalidValue', `Expected an object of sub-attributes, got ${JSON.stringify(value)}`);
  for (const [name, v] of Object.entries(value)) setMember(object, name, v);
  return object;
}

function elementsOf(target: Target): unknown[] {
  const current = target.container[target.key];
  return current === undefined || current === null ? [] : [current].flat();
}

/** An emptied multi-valued attribute, or an emptied complex one, is unassigned (RFC 7643 §2.5). */
function setElements(target: Target, elements: unknown[]): void {
  const kept = elements.filter((e) => !(isObject(e) && Object.keys(e).length === 0));
  if (kept.length === 0) delete target.container[target.key];
  else target.container[target.key] = target.multiValued ? kept : kept[kept.length - 1];
}

/** Setting `primary` true on some values sets it false on the others (RFC 7644 §3.5.2). */
function keepOnePrimary(elements: unknown[], written: unknown[]): void {
  const isPrimary = (e: unknown): e is ScimDoc => isObject(e) && memberOf(e, 'primary') === true;
  if (!written.some(isPrimary)) return;
  for (const e of elements) if (isPrimary(e) && !written.includes(e)) setMember(e, 'primary', false);
}

/** JSON with object keys sorted, so that equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** Multi-valued values are the same when their `value` sub-attributes are equal, else when deep-equal: one key says which. */
function elementKey(element: unknown): string {
  const value = isObject(element) ? memberOf(element, 'value') : undefined;
  return value !== undefined ? `value:${canonicalJson(value)}` : `whole:${canonicalJson(element)}`;
}

/**
 * Operations on some values of an attribute: those a value filter selects, or all of them for a sub-attribute
 * path (`name.givenName`, `emails.type`) — a single complex value counts as one.
 */
function applyToValues(target: Target, op: PatchOpName, value: unknown): void {
  const elements = elementsOf(target);
  const matched = elements.filter((e): e is ScimDoc => isObject(e) && (!target.filter || matchesFilter(e, target.filter)));
  const sub = target.subAttribute;
  if (op === 'remove' || value === null) {
    if (op === 'remove' && target.filter && matched.length === 0 && !IDEMPOTENT_REMOVALS.has(target.key.toLowerCase())) throw noTarget(target);
    if (sub) for (const e of matched) setMember(e, sub, null);
    setElements(target, sub ? elements : elements.filter((e) => !matched.includes(e as ScimDoc)));
    return;
  }
  if (matched.length === 0) {
    const described = target.filter ? describedElement(target.filter) : {};
    // Entra replaces `emails[type eq "work"].value` on people without a work email and expects one to be added.
    if (!described || (op === 'replace' && !sub)) throw noTarget(target);
    const created = sub ? { ...described, [sub]: value } : { ...described, ...mergeInto({}, structuredClone(value)) };
    setElements(target, target.multiValued ? [...elements, created] : [created]);
    keepOnePrimary(elements, [created]);
    return;
  }
  // With a sub-attribute only that changes; add merges into the selected values, replace swaps them whole.
  const written = matched.map((e) => {
    if (sub) setMember(e, sub, structuredClone(value));
    else if (op === 'add') mergeInto(e, structuredClone(value));
    return sub || op === 'add' ? e : mergeInto({}, structuredClone(value));
  });
  const result = elements.map((e) => (matched.includes(e as ScimDoc) ? written[matched.indexOf(e as ScimDoc)] : e));
  setElements(target, result);
  keepOnePrimary(result, written);
}

/** Operations on a whole attribute (no filter, no sub-attribute). */
function applyToAttribute(target: Target, op: PatchOpName, value: unknown): void {
  const { container, key } = target;
  if (target.multiValued) {
    const elements = elementsOf(target);
    const values = value === null || value === undefined ? [] : [value].flat();
    // Entra's default dialect removes members by listing them in the value of a plain `members` path.
    if (op === 'remove') {
      const removed = new Set(values.map(elementKey));
      setElements(target, values.length === 0 ? [] : elements.filter((e) => !removed.has(elementKey(e))));
      return;
    }
    // add appends what is not there yet; replace sets the whole list (RFC 7644 §3.5.2.1, §3.5.2.3).
    const present = new Set(elements.map(elementKey));
    const isNew = (v: unknown) => {
      const key = elementKey(v);
      return !present.has(key) && Boolean(present.add(key));
    };
    const added = op === 'add' ? values.filter(isNew) : values;
    setElements(target, op === 'add' ? [...elements, ...added] : values);
    keepOnePrimary(elementsOf(target), added);
    return;
  }
  // A complex value merges: sub-attributes not in the value are left unchanged (RFC 7644 §3.5.2.1, §3.5.2.3).
  const merges = op !== 'remove' && isObject(value) && isObject(container[key]) && !(target.qualifiedName in REFERENCES);
  if (merges) mergeInto(container[key] as ScimDoc, value);
  else setMember(container, key, op === 'remove' ? null : value);
}

function applyAt(doc: ScimDoc, op: PatchOpName, path: AttributePath, rawValue: unknown, s: Settings): void {
  if (/^urn:/i.test(path.attribute) && !path.subAttribute && !path.valueFilter && op !== 'remove' && isObject(rawValue)) {
    // A whole extension object (`"urn:…:enterprise:2.0:User": {…}`): each key is one of its attributes.
    for (const [key, v] of Object.entries(rawValue)) applyAt(doc, op, parseAttributePath(`${path.attribute}:${key}`), v, s);
    return;
  }
  const target = resolveTarget(doc, path, s);
  const reference = target.subAttribute ? undefined : REFERENCES[target.qualifiedName];
  // Explicit nulls (Entra) are unassigned values (RFC 7643 §2.5): writing null removes.
  const value =
    rawValue === null || rawValue === undefined ? rawValue : normalize(reference ? reference(rawValue) : rawValue, target.subAttribute ?? path.attribute, s);
  target.multiValued ||= !target.subAttribute && Array.isArray(value);
  (target.filter || target.subAttribute ? applyToValues : applyToAttribute)(target, op, value);
}

function applyOperation(doc: ScimDoc, operation: PatchOperation, s: Settings): void {
  if (operation.path !== undefined) {
    applyAt(doc, operation.op, parseAttributePath(operation.path), operation.value, s);
    return;
  }
  if (operation.op === 'remove') throw new ScimError('noTarget', 'remove needs a "path" (RFC 7644 §3.5.2.2)');
  if (!isObject(operation.value)) throw new ScimError('invalidValue', 'Without a "path" the value must be an object of attributes');
  for (const [key, value] of Object.entries(operation.value)) {
    // Entra aadOptscim062020 puts dotted and URN-prefixed paths ("name.givenName") as keys of a path-less value.
    const path = parseAttributePath(key);
    if (!isCoreSchema(path.schema) || !IGNORED_VALUE_KEYS.has(path.attribute.toLowerCase())) applyAt(doc, operation.op, path, value, s);
  }
}

/** Extension objects left empty by removals are dropped, so a no-op round trip compares equal. */
function dropEmptyExtensions(doc: ScimDoc): void {
  for (const key of Object.keys(doc)) if (/^urn:/i.test(key) && isObject(doc[key]) && Object.keys(doc[key] as ScimDoc).length === 0) delete doc[key];
}

/**
 * Applies the operations in order to a copy of `resource` (RFC 7644 §3.5.2): the input is never mutated, and
 * the first bad operation throws so the caller discards everything. `changed` is false when nothing differs.
 */
export function applyPatch(resource: ScimDoc, operations: PatchOperation[], options: PatchOptions = {}): { resource: ScimDoc; changed: boolean } {
  const s = settingsOf(options);
  const result = structuredClone(resource);
  for (const operation of operations) {
    applyOperation(result, operation, s);
    dropEmptyExtensions(result);
  }
  return { resource: result, changed: !isDeepStrictEqual(resource, result) };
}

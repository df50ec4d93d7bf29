// SCIM filters (RFC 7644 §3.4.2.2): evaluation over SCIM JSON, and the equalities an index can answer.
import { formatPath, type AttributePath, type ComparisonNode, type ComparisonOperator, type ComparisonValue, type FilterNode } from './ast.ts';
import { isCoreSchema, isObject, memberOf, readValues } from './path.ts';
import type { ScimDoc } from './resources.ts';
import { ATTRIBUTE_FACTS, INDEXED_ATTRIBUTES } from './schemas.ts';

export interface MatchOptions {
  /** Receives the lower-case dotted name without schema (`members.value`); true compares case-sensitively. */
  isCaseExact?: (name: string) => boolean;
}

/** The schema table decides: ids, versions and references are case-exact, every other string folds case. */
export function isCaseExactByDefault(name: string): boolean {
  return ATTRIBUTE_FACTS.caseExact.has(name);
}

/** Whether any term of the filter reads `attribute` (case-insensitive), so callers load it only when needed. */
export function mentionsAttribute(node: FilterNode, attribute: string): boolean {
  switch (node.op) {
    case 'and':
    case 'or':
      return mentionsAttribute(node.left, attribute) || mentionsAttribute(node.right, attribute);
    case 'not':
      return mentionsAttribute(node.filter, attribute);
    default:
      return node.path.attribute.toLowerCase() === attribute.toLowerCase();
  }
}

/** The terms of an `and` chain (a lone term is a chain of one). */
export function conjuncts(node: FilterNode): FilterNode[] {
  return node.op === 'and' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node];
}

/** The value a filter of `eq` terms describes: `type eq "work"` → `{ type: "work" }`; null for any other filter. */
export function describedElement(filter: FilterNode): ScimDoc | null {
  const terms = conjuncts(filter);
  const equalities = terms.filter((t): t is ComparisonNode => t.op === 'eq' && t.value !== null && !t.path.subAttribute && isCoreSchema(t.path.schema));
  return equalities.length === terms.length ? Object.fromEntries(equalities.map((t) => [t.path.attribute, t.value])) : null;
}

export type Comparable = string | number | boolean;

/** A value as it takes part in comparisons and sorting: instants for dates, folded case unless case-exact. */
export function toComparable(value: unknown, name: string, isCaseExact: (name: string) => boolean = isCaseExactByDefault): Comparable | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  if (ATTRIBUTE_FACTS.dateTimes.has(name)) {
    const instant = Date.parse(value);
    if (!Number.isNaN(instant)) return instant;
  }
  return isCaseExact(name) ? value : value.toLowerCase();
}

const COMPARE: Record<ComparisonOperator, (actual: Comparable, expected: Comparable) => boolean> = {
  eq: (a, e) => a === e,
  ne: (a, e) => a !== e,
  co: (a, e) => String(a).includes(String(e)),
  sw: (a, e) => String(a).startsWith(String(e)),
  ew: (a, e) => String(a).endsWith(String(e)),
  gt: (a, e) => a > e,
  ge: (a, e) => a >= e,
  lt: (a, e) => a < e,
  le: (a, e) => a <= e,
};
const SUBSTRING = new Set<ComparisonOperator>(['co', 'sw', 'ew']);

interface Scope {
  /** The multi-valued attribute whose element is being matched, for the names case-exactness is decided by. */
  prefix: string;
  isCaseExact: (name: string) => boolean;
}

function nameOf(path: AttributePath, scope: Scope): string {
  const name = formatPath(path).toLowerCase();
  return scope.prefix ? `${scope.prefix}.${name}` : name;
}

/** A complex value compared without a sub-attribute stands for its `value` (Entra: `members eq "42"`). */
function comparedValue(value: unknown, name: string): { value: unknown; name: string } {
  return isObject(value) ? { value: memberOf(value, 'value'), name: `${name}.value` } : { value, name };
}

function compareOne(node: ComparisonNode, raw: unknown, rawName: string, scope: Scope): boolean {
  const { value, name } = comparedValue(raw, rawName);
  if (value === null || value === undefined || typeof value === 'object') return false;
  const textual = SUBSTRING.has(node.op);
  let actual = textual ? toComparable(String(value), name, scope.isCaseExact)! : toComparable(value, name, scope.isCaseExact)!;
  let expected = toComparable(textual ? String(node.value) : node.value, name, scope.isCaseExact)!;
  if (typeof actual !== typeof expected) {
    actual = toComparable(String(value), name, scope.isCaseExact)!;
    expected = toComparable(String(node.value), name, scope.isCaseExact)!;
  }
  return COMPARE[node.op](actual, expected);
}

/** pr is false for null, "", [] and complex values with nothing present inside (RFC 7644 §3.4.2.2). */
export function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function evaluate(resource: ScimDoc, node: FilterNode, scope: Scope): boolean {
  switch (node.op) {
    case 'and':
      return evaluate(resource, node.left, scope) && evaluate(resource, node.right, scope);
    case 'or':
      return evaluate(resource, node.left, scope) || evaluate(resource, node.right, scope);
    case 'not':
      return !evaluate(resource, node.filter, scope);
    case 'pr':
      return readValues(resource, node.path).some(isPresent);
    case 'valuePath': {
      const inner = { ...scope, prefix: nameOf(node.path, scope) };
      // An element that is a bare value (not an object) is matched as `{ value }`.
      return readValues(resource, node.path).some((item) => evaluate(isObject(item) ? item : { value: item }, node.filter, inner));
    }
    default: {
      const values = readValues(resource, node.path).filter((v) => v !== null && v !== undefined);
      // `eq null` asks for an unassigned attribute, `ne null` for an assigned one (RFC 7643 §2.5).
      if (node.value === null) return (node.op === 'eq') !== values.some(isPresent);
      // Multi-valued attributes match when any value does (RFC 7644 §3.4.2.2); absent attributes never match.
      return values.some((value) => compareOne(node, value, nameOf(node.path, scope), scope));
    }
  }
}

/** Whether a SCIM JSON resource satisfies a filter. */
export function matchesFilter(resource: ScimDoc, node: FilterNode, options: MatchOptions = {}): boolean {
  return evaluate(resource, node, { prefix: '', isCaseExact: options.isCaseExact ?? isCaseExactByDefault });
}

/** Indexed attributes answer from bi-scim's store; `id` and `members` from the BI tool itself. */
const LOOKUP_ATTRIBUTES = ['id', 'members', ...new Set([...INDEXED_ATTRIBUTES.User, ...INDEXED_ATTRIBUTES.Group])] as const;
export type LookupAttribute = (typeof LOOKUP_ATTRIBUTES)[number];

export interface EqualityLookup {
  attribute: LookupAttribute;
  value: string;
}

const LOOKUPS_BY_NAME = new Map<string, LookupAttribute>(LOOKUP_ATTRIBUTES.map((name) => [name.toLowerCase(), name]));

function lookupFor(path: AttributePath, value: ComparisonValue): EqualityLookup[] {
  const attribute = LOOKUPS_BY_NAME.get(path.attribute.toLowerCase());
  if (!attribute || typeof value !== 'string' || !isCoreSchema(path.schema)) return [];
  const sub = path.subAttribute?.toLowerCase() ?? null;
  const byValue = sub === null || (sub === 'value' && ATTRIBUTE_FACTS.multiValued.has(attribute.toLowerCase()));
  return byValue ? [{ attribute, value }] : [];
}

/**
 * Equalities an indexed lookup can answer (design §2.9): each term of a top-level `and` chain that is
 * `eq` on userName, externalId, id, displayName, emails(.value) or members(.value), including
 * `emails[type eq "work"].value eq "x"` and `members[value eq "x"]`. Any one of them narrows the candidates;
 * the caller still evaluates the whole filter on them. Empty when the filter needs a scan.
 */
export function equalityLookups(node: FilterNode): EqualityLookup[] {
  return conjuncts(node).flatMap((term) => {
    if (term.op === 'valuePath') {
      return conjuncts(term.filter).flatMap((inner) =>
        inner.op === 'eq' && !inner.path.subAttribute && inner.path.attribute.toLowerCase() === 'value'
          ? lookupFor({ ...term.path, subAttribute: 'value' }, inner.value)
          : [],
      );
    }
    return term.op === 'eq' ? lookupFor(term.path, term.value) : [];
  });
}

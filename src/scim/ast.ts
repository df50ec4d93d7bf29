// The SCIM filter and attribute-path AST (RFC 7644 §3.4.2.2, §3.10): the mutually recursive types, nothing else.

export type ComparisonOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type ComparisonValue = string | number | boolean | null;

/** `urn:…:User:emails[type eq "work"].value` → schema, attribute `emails`, subAttribute `value`, valueFilter. */
export interface AttributePath {
  /** The schema URN the attribute was qualified with, in canonical case when known; null when unqualified. */
  schema: string | null;
  attribute: string;
  subAttribute: string | null;
  valueFilter: FilterNode | null;
}

export type FilterNode =
  | { op: ComparisonOperator; path: AttributePath; value: ComparisonValue }
  | { op: 'pr'; path: AttributePath }
  | { op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { op: 'not'; filter: FilterNode }
  /** `emails[type eq "work"]`; the inner filter's paths are relative to one element of the attribute. */
  | { op: 'valuePath'; path: AttributePath; filter: FilterNode };

export type ComparisonNode = Extract<FilterNode, { value: ComparisonValue }>;

/** The dotted name of a path without its schema, e.g. `name.givenName`. */
export function formatPath(path: AttributePath): string {
  return path.subAttribute ? `${path.attribute}.${path.subAttribute}` : path.attribute;
}

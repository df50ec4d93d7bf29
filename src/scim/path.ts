// Navigating SCIM resources by attribute path (RFC 7643 §2.1, RFC 7644 §3.10): containers, members, values.
import type { AttributePath } from './ast.ts';
import type { ScimDoc } from './resources.ts';
import { URN } from './urns.ts';

const CORE_SCHEMAS = new Set<string>([URN.user, URN.group].map((u) => u.toLowerCase()));

export function isCoreSchema(schema: string | null): boolean {
  return schema === null || CORE_SCHEMAS.has(schema.toLowerCase());
}

export function isObject(value: unknown): value is ScimDoc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Attribute names compare case-insensitively (RFC 7643 §2.1): the key `object` really uses for `name`. */
export function findKey(object: ScimDoc, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}

/** An object's member by case-insensitive name. */
export function memberOf(object: ScimDoc, name: string): unknown {
  const key = findKey(object, name);
  return key === undefined ? undefined : object[key];
}

/**
 * The object holding a path's attribute: the resource, or the extension object under its schema URN
 * (`resource["urn:…:enterprise:2.0:User"]`). Unqualified names that only an extension has resolve there too:
 * clients may omit the schema (RFC 7644 §3.10), and Entra filters on a bare `manager`.
 */
export function containerOf(resource: ScimDoc, path: AttributePath): ScimDoc | undefined {
  if (!isCoreSchema(path.schema)) {
    const key = findKey(resource, path.schema!);
    return key !== undefined && isObject(resource[key]) ? (resource[key] as ScimDoc) : undefined;
  }
  if (path.schema || findKey(resource, path.attribute) !== undefined) return resource;
  const extensions = Object.keys(resource)
    .filter((key) => /^urn:/i.test(key) && isObject(resource[key]))
    .map((key) => resource[key] as ScimDoc);
  return extensions.find((extension) => findKey(extension, path.attribute) !== undefined) ?? resource;
}

/** The raw value of a path's attribute (sub-attribute and value filter not applied). */
export function readAttribute(resource: ScimDoc, path: AttributePath): unknown {
  const container = containerOf(resource, path);
  return container && memberOf(container, path.attribute);
}

function asList(value: unknown): unknown[] {
  return value === undefined ? [] : [value].flat();
}

/** Every value a path names, multi-valued attributes flattened (the value filter is not applied here). */
export function readValues(resource: ScimDoc, path: AttributePath): unknown[] {
  const values = asList(readAttribute(resource, path));
  const sub = path.subAttribute;
  return sub ? values.flatMap((item) => (isObject(item) ? asList(memberOf(item, sub)) : [])) : values;
}

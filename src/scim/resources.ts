// SCIM User and Group documents: input checked against the schema table, output rendered with meta (RFC 7643 §3.1).
import { hash } from 'node:crypto';
import { ScimError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { RESOURCE_SCHEMAS, type AttributeDef } from './schemas.ts';

export type ScimKind = 'User' | 'Group';
export type ScimDoc = Record<string, unknown>;

/** Never taken from input: server-assigned, read-only, or write-only secrets (Okta sends a random password). */
const IGNORED_INPUT = new Set(['id', 'meta', 'schemas', 'password', 'groups']);

function findDef(defs: readonly AttributeDef[], key: string): AttributeDef | undefined {
  const lower = key.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === lower);
}

function invalid(path: string, expected: string): ScimError {
  return new ScimError('invalidValue', `Attribute "${path}" must be ${expected}`);
}

/** Entra's default dialect sends booleans as "True"/"False" strings. */
export function toBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalid(path, 'a boolean');
}

function checkValue(def: AttributeDef, value: unknown, path: string): unknown {
  switch (def.type) {
    case 'boolean':
      return toBoolean(value, path);
    case 'complex':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'an object');
      return checkObject(def.subAttributes ?? [], value as ScimDoc, path);
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number') throw invalid(path, 'a number');
      return value;
    default:
      if (typeof value !== 'string') throw invalid(path, 'a string');
      return value;
  }
}

function checkAttribute(def: AttributeDef, value: unknown, path: string): unknown {
  if (!def.multiValued) return checkValue(def, value, path);
  const items = Array.isArray(value) ? value : [value];
  const limit = def.name === 'members' ? LIMITS.maxMembers : LIMITS.maxValues;
  if (items.length > limit) throw new ScimError('payloadTooLarge', `Attribute "${path}" may hold at most ${limit} values`);
  return items.filter((item) => item !== null).map((item, i) => checkValue(def, item, `${path}[${i}]`));
}

/** Keeps the attributes a schema defines (canonical case), drops unknown ones and explicit nulls (Entra sends nulls). */
function checkObject(defs: readonly AttributeDef[], input: ScimDoc, prefix: string): ScimDoc {
  const out: ScimDoc = {};
  for (const [key, value] of Object.entries(input)) {
    const def = findDef(defs, key);
    if (!def || value === null || value === undefined || def.mutability === 'readOnly') continue;
    const path = prefix ? `${prefix}.${def.name}` : def.name;
    out[def.name] = checkAttribute(def, value, path);
  }
  return out;
}

/** The storable attributes of a POST/PUT body or a patched document; throws ScimError on wrong types or missing required values. */
export function sanitizeResource(kind: ScimKind, input: unknown): ScimDoc {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ScimError('invalidSyntax', 'The request body must be a JSON object');
  }
  const { core, extensions } = RESOURCE_SCHEMAS[kind];
  const body = input as ScimDoc;
  const out: ScimDoc = {};
  for (const [key, value] of Object.entries(body)) {
    if (IGNORED_INPUT.has(key.toLowerCase()) || value === null || value === undefined) continue;
    if (key.toLowerCase() === 'externalid') {
      if (typeof value !== 'string') throw invalid('externalId', 'a string');
      if (value !== '') out.externalId = value;
      continue;
    }
    const extension = extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
    if (extension) {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(extension.id, 'an object');
      const checked = checkObject(extension.attributes, value as ScimDoc, extension.id);
      if (Object.keys(checked).length > 0) out[extension.id] = checked;
      continue;
    }
    const def = findDef(core.attributes, key);
    if (def && def.mutability !== 'readOnly') out[def.name] = checkAttribute(def, value, def.name);
  }
  for (const def of core.attributes.filter((d) => d.required && d.type === 'string')) {
    if (typeof out[def.name] !== 'string' || (out[def.name] as string).trim() === '') {
      throw new ScimError('invalidValue', `Attribute "${def.name}" is required`);
    }
  }
  return out;
}

export interface ResourceMeta {
  id: string;
  created: string;
  lastModified: string;
  location: string;
}

/** A weak ETag over the rendered attributes (RFC 7644 §3.14). */
function versionOf(doc: ScimDoc): string {
  return `W/"${hash('sha256', JSON.stringify(doc), 'base64url').slice(0, 22)}"`;
}

/** The full document as returned to an IdP: schemas, id, attributes, meta. */
export function renderResource(kind: ScimKind, attributes: ScimDoc, meta: ResourceMeta): ScimDoc {
  const { core, extensions } = RESOURCE_SCHEMAS[kind];
  const schemas = [core.id, ...extensions.filter((e) => e.id in attributes).map((e) => e.id)];
  const body: ScimDoc = { schemas, id: meta.id, ...attributes };
  return {
    ...body,
    meta: { resourceType: kind, created: meta.created, lastModified: meta.lastModified, location: meta.location, version: versionOf(body) },
  };
}

/** The BI login email of a User document: the primary email, else the work one, else the first, else userName. */
export function primaryEmail(doc: ScimDoc): string | null {
  const emails = (Array.isArray(doc.emails) ? doc.emails : []) as Array<{ value?: string; type?: string; primary?: boolean }>;
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  if (pick?.value) return pick.value;
  return typeof doc.userName === 'string' && doc.userName.includes('@') ? doc.userName : null;
}

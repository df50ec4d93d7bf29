// PatchOp messages (RFC 7644 §3.5.2): what a PATCH body must look like, parsed into operations before anything applies.
import { ScimError } from './errors.ts';
import { parseAttributePath } from './grammar.ts';
import { LIMITS } from './limits.ts';
import { findKey, isObject, memberOf } from './path.ts';
import { URN } from './urns.ts';

export type PatchOpName = 'add' | 'replace' | 'remove';

/** One operation as parsed: `op` lower-cased, `path` as sent (absent for path-less operations). */
export interface PatchOperation {
  op: PatchOpName;
  path?: string;
  value?: unknown;
}

const OP_NAMES: readonly string[] = ['add', 'replace', 'remove'] satisfies PatchOpName[];

function parseOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isObject(raw)) throw new ScimError('invalidSyntax', `${where} must be an object`);
  const opText = memberOf(raw, 'op');
  // Entra's default dialect capitalises op names ("Add", "Replace", "Remove").
  const op = typeof opText === 'string' ? opText.toLowerCase() : '';
  if (!OP_NAMES.includes(op)) throw new ScimError('invalidSyntax', `${where}.op ${JSON.stringify(opText ?? null)} is not add, replace or remove`);
  const path = memberOf(raw, 'path') ?? undefined;
  if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) throw new ScimError('invalidPath', `${where}.path must be a non-empty string`);
  if (path !== undefined) parseAttributePath(path);
  const hasValue = findKey(raw, 'value') !== undefined;
  const value = memberOf(raw, 'value');
  if (op !== 'remove' && !hasValue) throw new ScimError('invalidValue', `${where} (${op}) needs a "value"`);
  if (op === 'remove' && path === undefined) throw new ScimError('noTarget', `${where}: remove needs a "path" (RFC 7644 §3.5.2.2)`);
  if (path === undefined && !isObject(value)) throw new ScimError('invalidValue', `${where}: without a "path" the value must be an object of attributes`);
  if (Array.isArray(value) && value.length > LIMITS.maxMembers) throw new ScimError('payloadTooLarge', `${where} has more than ${LIMITS.maxMembers} values`);
  return { op: op as PatchOpName, ...(path === undefined ? {} : { path }), ...(hasValue ? { value } : {}) };
}

/** Validates a PatchOp message (RFC 7644 §3.5.2); an empty `Operations` array is a valid no-op. */
export function parsePatch(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new ScimError('invalidSyntax', 'A PATCH body must be a JSON object');
  const schemas = memberOf(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patchOp.toLowerCase())) {
    throw new ScimError('invalidSyntax', `A PATCH body must list the schema ${URN.patchOp}`);
  }
  const operations = memberOf(body, 'Operations');
  if (!Array.isArray(operations)) throw new ScimError('invalidSyntax', 'A PATCH body needs an "Operations" array');
  if (operations.length > LIMITS.maxOperations) throw new ScimError('payloadTooLarge', `A PATCH may carry at most ${LIMITS.maxOperations} operations`);
  return operations.map(parseOperation);
}

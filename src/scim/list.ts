// List and search parameters (RFC 7644 §3.4.2, §3.4.3) and the ListResponse envelope.
import { ScimError } from './errors.ts';
import type { FilterNode } from './ast.ts';
import { checkAttributeNames } from './attributes.ts';
import { parseFilter } from './grammar.ts';
import { URN } from './urns.ts';

export const MAX_COUNT = 1000;
const DEFAULT_COUNT = 100;

export interface ListQuery {
  filter: FilterNode | null;
  /** 1-based (RFC 7644 §3.4.2.4). */
  startIndex: number;
  count: number;
  sortBy: string | null;
  sortOrder: 'ascending' | 'descending';
  attributes: string[];
  excludedAttributes: string[];
}

/** The same parameters arrive as query strings (GET) or JSON members (POST /.search). */
export interface ListParams {
  filter?: unknown;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

/** No directory has more than this many people or groups: a larger startIndex is already past the end. */
const MAX_START_INDEX = 1_000_000_000;

/** A number, or a string of one (query strings); anything else (an object in a search body) is refused. */
function toInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ScimError('invalidValue', `"${name}" must be an integer`);
  return n;
}

function toList(name: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!items || items.some((item) => typeof item !== 'string')) throw new ScimError('invalidValue', `"${name}" must be a string or a list of strings`);
  return checkAttributeNames(items);
}

export function parseListQuery(params: ListParams): ListQuery {
  if (params.filter !== undefined && typeof params.filter !== 'string') throw new ScimError('invalidFilter', '"filter" must be a string');
  if (params.sortBy !== undefined && typeof params.sortBy !== 'string') throw new ScimError('invalidValue', '"sortBy" must be a string');
  if (params.sortOrder !== undefined && typeof params.sortOrder !== 'string')
    throw new ScimError('invalidValue', '"sortOrder" must be ascending or descending');
  const order = params.sortOrder === undefined ? 'ascending' : params.sortOrder.toLowerCase();
  if (order !== 'ascending' && order !== 'descending') throw new ScimError('invalidValue', '"sortOrder" must be ascending or descending');
  return {
    filter: params.filter && (params.filter as string).trim() !== '' ? parseFilter(params.filter as string) : null,
    // Out-of-range values are clamped, not refused (RFC 7644 §3.4.2.4).
    startIndex: Math.min(MAX_START_INDEX, Math.max(1, toInteger('startIndex', params.startIndex, 1))),
    count: Math.min(MAX_COUNT, Math.max(0, toInteger('count', params.count, DEFAULT_COUNT))),
    sortBy: typeof params.sortBy === 'string' && params.sortBy !== '' ? params.sortBy : null,
    sortOrder: order,
    attributes: toList('attributes', params.attributes),
    excludedAttributes: toList('excludedAttributes', params.excludedAttributes),
  };
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number): Record<string, unknown> {
  return { schemas: [URN.listResponse], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** One page out of a fully materialised result. */
export function pageOf<T>(items: T[], query: ListQuery): T[] {
  return items.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
}

// The in-memory store's streams, sliding windows, values and maps: the same semantics as Redis, in one process.
import { deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import type { StreamEntry, StreamQuery, StreamRetention, WindowRequest } from './mapping-store.ts';

/** The memory store keeps at most this many entries per stream, whatever the configured retention. */
export const MEMORY_STREAM_CAP = 10_000;

interface StoredEntry {
  id: string;
  at: number;
  /** The entry's JSON, deflated against its stream's dictionary, one byte per char. */
  packed: string;
}

/**
 * A stream's entries share their shape (an audit event is mostly the same keys, routes and caller), so each is
 * deflated with the stream's first entry as the dictionary: about a seventh of the JSON's size. A small window and
 * memory level keep zlib's working state per call near 24 KiB.
 */
const WINDOW_BITS = 12;

class StreamPacker {
  #options: ZlibOptions;

  /** zlib uses only the dictionary's last window, so a big first entry is not kept whole. */
  constructor(first: string) {
    this.#options = { windowBits: WINDOW_BITS, memLevel: 4, dictionary: Buffer.from(first.slice(-(1 << WINDOW_BITS))) };
  }

  pack(json: string): string {
    return deflateRawSync(json, this.#options).toString('latin1');
  }

  unpack(packed: string): unknown {
    return JSON.parse(inflateRawSync(Buffer.from(packed, 'latin1'), this.#options).toString());
  }
}

interface Stream {
  packer: StreamPacker;
  entries: StoredEntry[];
}

/** Stream ids as Redis makes them (`<ms>-<seq>`), so ids compare the same way in both stores. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}

export class MemoryOps {
  #streams = new Map<string, Stream>();
  #windows = new Map<string, number[]>();
  #values = new Map<string, { json: string; expiresAt: number }>();
  #maps = new Map<string, Map<string, string>>();
  #lastId = { ms: 0, seq: 0 };

  append(stream: string, value: unknown, retention: StreamRetention, now = Date.now()): string {
    const ms = Math.max(now, this.#lastId.ms);
    this.#lastId = { ms, seq: ms === this.#lastId.ms ? this.#lastId.seq + 1 : 0 };
    const id = `${ms}-${this.#lastId.seq}`;
    const json = JSON.stringify(value);
    let held = this.#streams.get(stream);
    if (!held) {
      held = { packer: new StreamPacker(json), entries: [] };
      this.#streams.set(stream, held);
    }
    const { packer, entries } = held;
    entries.push({ id, at: ms, packed: packer.pack(json) });
    // Entries are in time order, so what retention drops is always a prefix: trim it in place.
    const keep = Math.min(retention.maxEntries, MEMORY_STREAM_CAP);
    let drop = Math.max(0, entries.length - keep);
    while (drop < entries.length && entries[drop].at < now - retention.maxAgeMs) drop++;
    if (drop > 0) entries.splice(0, drop);
    return id;
  }

  read(stream: string, { fromMs = 0, toMs = Number.POSITIVE_INFINITY, after, before, limit, order }: StreamQuery): StreamEntry[] {
    const inRange = (e: StoredEntry) => e.at >= fromMs && e.at <= toMs && (!after || compareIds(e.id, after) > 0) && (!before || compareIds(e.id, before) < 0);
    const held = this.#streams.get(stream);
    if (!held) return [];
    const matching = held.entries.filter(inRange);
    const ordered = order === 'newest' ? matching.reverse() : matching;
    return ordered.slice(0, Math.max(0, limit)).map((e) => ({ id: e.id, at: e.at, value: held.packer.unpack(e.packed) }));
  }

  admit(window: string, { nowMs, windowMs, budget, count, force }: WindowRequest): { admitted: boolean; inWindow: number } {
    const events = this.#live(window, nowMs, windowMs);
    if (!force && events.length + count > budget) return { admitted: false, inWindow: events.length };
    events.push(...Array.from({ length: count }, () => nowMs));
    return { admitted: true, inWindow: events.length };
  }

  count(window: string, nowMs: number, windowMs: number): number {
    return this.#live(window, nowMs, windowMs).length;
  }

  clear(window: string): void {
    this.#windows.delete(window);
  }

  getValue(key: string, now = Date.now()): unknown {
    const held = this.#values.get(key);
    if (!held || held.expiresAt <= now) return null;
    return JSON.parse(held.json);
  }

  setValue(key: string, value: unknown, ttlMs: number | undefined, now = Date.now()): void {
    this.#values.set(key, { json: JSON.stringify(value), expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs });
  }

  deleteValue(key: string): void {
    this.#values.delete(key);
  }

  putEntry(map: string, field: string, value: unknown): void {
    if (!this.#maps.has(map)) this.#maps.set(map, new Map());
    this.#maps.get(map)!.set(field, JSON.stringify(value));
  }

  getEntries(map: string): Record<string, unknown> {
    return Object.fromEntries([...(this.#maps.get(map) ?? new Map<string, string>())].map(([field, json]) => [field, JSON.parse(json)]));
  }

  deleteEntry(map: string, field: string): void {
    this.#maps.get(map)?.delete(field);
  }

  #live(window: string, nowMs: number, windowMs: number): number[] {
    const events = (this.#windows.get(window) ?? []).filter((at) => at > nowMs - windowMs);
    this.#windows.set(window, events);
    return events;
  }
}

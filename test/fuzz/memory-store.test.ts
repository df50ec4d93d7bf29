// Fuzzing the app on the in-memory store, logging in to the Metabase double with its API key.
import { describe } from 'vitest';
import { MemoryStore } from '../../src/store/memory.ts';
import { startInProcess } from './in-process.ts';
import { describeFuzzSuite, STORE_PROPERTIES } from './properties.ts';

describe('fuzzed requests on the memory store', () => {
  describeFuzzSuite('memory', STORE_PROPERTIES, (enforceTime) =>
    startInProcess({ store: () => new MemoryStore(), sessionLogin: false, storeSecrets: [], enforceTime }),
  );
});

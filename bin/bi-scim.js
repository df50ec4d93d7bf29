#!/usr/bin/env node
// The bi-scim executable: the built output when present, the TypeScript source otherwise (Node ≥ 24 runs it directly).
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/main.ts', import.meta.url).href);

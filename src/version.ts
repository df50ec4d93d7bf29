// bi-scim's own version, from package.json (one level up from src/ and from the build's dist/ alike).
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

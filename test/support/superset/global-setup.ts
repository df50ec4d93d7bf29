// Vitest global setup: one real Superset for the whole run when install.sh's venv is there, nothing otherwise.
// Importing 'vitest' (types only) brings the module into scope, so ProvidedContext can be augmented below.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { findSupersetVenv, startSuperset } from './harness.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    supersetUrl?: string;
    supersetUsername?: string;
    supersetPassword?: string;
    supersetSecretKey?: string;
  }
}

/** Short-lived access tokens, so every run exercises the adapter's proactive renewal as well as the rest. */
export const SUPERSET_TOKEN_SECONDS = 15;

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const venv = await findSupersetVenv();
  // Tests decide what absence means: skipped on a developer's machine, a failure under CI.
  if (!venv) return undefined;
  const superset = await startSuperset({ venv, tokenSeconds: SUPERSET_TOKEN_SECONDS });
  project.provide('supersetUrl', superset.url);
  project.provide('supersetUsername', superset.username);
  project.provide('supersetPassword', superset.password);
  project.provide('supersetSecretKey', superset.secretKey);
  return () => superset.stop();
}

// Chooses the Target adapter from configuration: the one place that knows every adapter (only the one in use is loaded).
import type { Config } from '../config.ts';
import type { HttpCallSample } from './http.ts';
import type { Target } from './target.ts';

export interface TargetDeps {
  withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  onCall?: (sample: HttpCallSample) => void;
}

export async function createTarget(config: Config, { withLock, onCall }: TargetDeps): Promise<Target> {
  const { target } = config;
  if (target.kind === 'metabase') {
    const { MetabaseTarget } = await import('./metabase/adapter.ts');
    return new MetabaseTarget({ url: target.url, credentials: target.credentials, onCall });
  }
  const { SupersetTarget } = await import('./superset/adapter.ts');
  return new SupersetTarget({ url: target.url, ...target.credentials, superset: config.superset, http: { onCall }, withLock });
}

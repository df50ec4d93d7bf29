// Chooses the Target adapter from configuration: the one place that knows every adapter.
import type { Config } from '../config.ts';
import type { HttpCallSample } from './http.ts';
import { MetabaseTarget } from './metabase/adapter.ts';
import { SupersetTarget } from './superset/adapter.ts';
import type { Target } from './target.ts';

export interface TargetDeps {
  withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  onCall?: (sample: HttpCallSample) => void;
}

export function createTarget(config: Config, { withLock, onCall }: TargetDeps): Target {
  const { kind, url, apiKey, username, password } = config.target;
  if (kind === 'metabase') {
    const credentials = apiKey ? { apiKey } : { username: username!, password: password! };
    return new MetabaseTarget({ url, credentials, onCall });
  }
  return new SupersetTarget({ url, username: username!, password: password!, superset: config.superset, http: { onCall }, withLock });
}

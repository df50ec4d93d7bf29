// The Metabase adapter against the Metabase double: the shared Target contract, by API key and by session login.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { MetabaseTarget } from '../../src/targets/metabase/adapter.ts';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { describeTargetContract } from './contract.ts';

let double: MetabaseDouble;
const uniqueEmail = () => `contract-${randomUUID().slice(0, 8)}@example.com`;

beforeAll(async () => {
  double = await startMetabaseDouble();
});

afterAll(async () => {
  await double?.close();
});

describeTargetContract('Metabase with an API key', async () => {
  const target = new MetabaseTarget({ url: double.url, credentials: { apiKey: double.apiKey } });
  return { target, uniqueEmail, cleanup: () => target.close() };
});

describeTargetContract('Metabase with a session login', async () => {
  const target = new MetabaseTarget({ url: double.url, credentials: { username: double.adminEmail, password: double.adminPassword } });
  return { target, uniqueEmail, cleanup: () => target.close() };
});

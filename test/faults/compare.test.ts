// The fault suite's verdict: silent when Metabase and the SCIM view hold the intended directory, and it names each planted difference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetabaseDouble, type MetabaseDouble } from '../support/metabase-double.ts';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process.ts';
import { compareWithIntended } from './compare.ts';
import { IntendedDirectory, type Dialect, type Intent } from './directory-model.ts';
import { IdpClient } from './idp-client.ts';
import { Idp } from './idp.ts';

const TOKEN = 'compare-test-token-0123456789';
let double: MetabaseDouble;
let sidecar: SidecarProcess;

beforeAll(async () => {
  double = await startMetabaseDouble();
  sidecar = await startSidecarProcess({
    BI_SCIM_TARGET: 'metabase',
    BI_SCIM_TARGET_URL: double.url,
    BI_SCIM_TARGET_API_KEY: double.apiKey,
    BI_SCIM_TOKENS: TOKEN,
    BI_SCIM_LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await sidecar?.stop();
  await double?.close();
});

/** Two people and a group holding the first, created through the real sidecar; `tag` keeps each test's names apart. */
async function provisioned(tag: string): Promise<{ idp: Idp; run: (intent: Intent) => Promise<void> }> {
  const intended = new IntendedDirectory();
  const person = (key: string, dialect: Dialect) => ({
    key,
    dialect,
    externalId: `ext-${key}`,
    profile: { email: `${key}.${tag}@example.com`, givenName: 'Given', familyName: key },
    active: true,
    deleted: false,
  });
  intended.register(person('pa', 'okta-catalog'));
  intended.register(person('pb', 'entra-default'));
  intended.register({ key: 'g', name: `Group ${tag}`, dialect: 'okta-catalog', externalId: 'ext-g', members: new Set(), deleted: false, mappedTo: null });
  const idp = new Idp(new IdpClient(TOKEN, () => [sidecar.url]), intended);
  const run = async (intent: Intent) => {
    intended.apply(intent);
    expect(await idp.run(intent)).toBe(true);
  };
  for (const key of ['pa', 'pb']) await run({ kind: 'create-person', person: key, profile: intended.person(key).profile });
  await run({ kind: 'create-group', group: 'g' });
  await run({ kind: 'change-members', group: 'g', add: ['pa', 'pb'], remove: [] });
  return { idp, run };
}

/** Only this test's rows: other tests' people and groups share the double. */
const rowsAbout = async (idp: Idp, tag: string) => (await compareWithIntended(double, idp.view, idp)).filter((r) => r.subject.includes(tag));

describe('the fault suite comparison', () => {
  it('finds nothing when Metabase holds exactly the intended directory', async () => {
    const { idp } = await provisioned('same');
    expect(await rowsAbout(idp, 'same')).toEqual([]);
  });

  it('names a changed name, a lost membership, an extra person and an extra group', async () => {
    const { idp } = await provisioned('planted');
    const pa = Number(idp.ids.get('pa'));
    double.core.rules.updateUser(pa, { first_name: 'Someone Else' });
    double.core.rules.removeMembership(double.core.directory.findMembership(Number(idp.ids.get('pb')), Number(idp.ids.get('g')))!);
    double.seed.user({ email: 'twin.planted@example.com' });
    double.seed.group('Leftover planted');
    const rows = await rowsAbout(idp, 'planted');
    expect(rows).toEqual(
      expect.arrayContaining([
        { subject: 'person pa <pa.planted@example.com>', problem: 'first_name is "Someone Else", intended "Given"' },
        { subject: 'group g "Group planted"', problem: 'person pb <pb.planted@example.com> is missing from it' },
        expect.objectContaining({ subject: expect.stringContaining('<twin.planted@example.com>'), problem: expect.stringContaining('no intended person') }),
        expect.objectContaining({ subject: expect.stringContaining('"Leftover planted"'), problem: expect.stringContaining('no intended group') }),
      ]),
    );
    expect(rows).toHaveLength(4);
  });

  it('names a DELETEd id that still answers, still active and still listed, and a deactivated edit the sidecar lost', async () => {
    const { idp, run } = await provisioned('gone');
    await run({ kind: 'set-active', person: 'pa', active: false });
    // The IdP believes pa was edited and pb DELETEd, but neither request ever reaches the sidecar.
    idp.view.apply({ kind: 'edit-person', person: 'pa', profile: { ...idp.view.person('pa').profile, familyName: 'Edited' } });
    idp.view.apply({ kind: 'delete-person', person: 'pb' });
    const pb = idp.ids.get('pb')!;
    idp.deletedIds.set('pb', pb);
    const problems = (await rowsAbout(idp, 'gone')).map((r) => r.problem);
    expect(problems).toEqual(
      expect.arrayContaining([
        `deactivated; GET /Users/${idp.ids.get('pa')} name.familyName is "pa", intended "Edited"`,
        `DELETEd, but active in Metabase (id ${pb})`,
        `DELETEd, but GET /Users/${pb} answers 200`,
        `GET /Groups/${idp.ids.get('g')} lists DELETEd person pb <pb.gone@example.com> (id ${pb}) as a member`,
        'person pb <pb.gone@example.com> was DELETEd but is still in it',
        'DELETEd but not in "SCIM deleted accounts"',
      ]),
    );
    expect(problems).toHaveLength(6);
  });
});

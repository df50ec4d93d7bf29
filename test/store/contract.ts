// The MappingStore contract: every store implementation runs this one suite and must pass all of it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiToken, MappingStore, ResourceKind, StoredResource } from '../../src/store/mapping-store.ts';
import { describeLockContract, type StoreUnderTest } from './lock-contract.ts';
import { describeOpsContract } from './ops-contract.ts';

const CREATED = '2025-03-01T10:00:00.000Z';

function resource(kind: ResourceKind, id: string, attributes: Record<string, unknown>, extra: Partial<StoredResource> = {}): StoredResource {
  return { id, kind, attributes, created: CREATED, lastModified: CREATED, ...extra };
}

const token = (name: string, sha256: string): ApiToken => ({ name, sha256, createdAt: CREATED, expiresAt: null });

export function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describeLockContract(name, makeStore);
  describe(`${name} store (MappingStore contract)`, () => {
    let store: MappingStore;
    beforeEach(async () => {
      ({ store } = await makeStore());
    });
    afterEach(async () => {
      await store.close();
    });

    describe('resources', () => {
      it('returns null for an id it never stored', async () => {
        expect(await store.get('User', 'missing')).toBeNull();
      });

      it('returns a stored resource exactly as written, nested attributes and flags included', async () => {
        const alice = resource('User', '7', {
          userName: 'Alice@Example.com',
          name: { givenName: 'Alice', familyName: 'Liddell' },
          emails: [{ value: 'alice@example.com', primary: true }],
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Wonderland' },
        });
        const admins = resource('Group', '3', { displayName: 'bi-admins' }, { mappedTo: 'Administrators' });
        await store.put(alice);
        await store.put(admins);
        expect(await store.get('User', '7')).toEqual(alice);
        expect(await store.get('Group', '3')).toEqual(admins);
      });

      it('hands out copies: changing a returned object does not change what is stored', async () => {
        await store.put(resource('User', '1', { userName: 'alice', title: 'Queen' }));
        const copy = await store.get('User', '1');
        copy!.attributes.title = 'Knave';
        expect((await store.get('User', '1'))!.attributes.title).toBe('Queen');
      });

      it('replaces the whole record on a second put', async () => {
        await store.put(resource('User', '1', { userName: 'alice', title: 'Queen' }));
        const replaced = resource('User', '1', { userName: 'alice' }, { lastModified: '2025-03-02T00:00:00.000Z' });
        await store.put(replaced);
        expect(await store.get('User', '1')).toEqual(replaced);
      });

      it('getMany returns the stored ids only, keyed by id, and nothing for an empty list', async () => {
        await store.put(resource('User', '1', { userName: 'alice' }));
        await store.put(resource('User', '2', { userName: 'bob' }));
        const found = await store.getMany('User', ['2', 'nobody', '1']);
        expect([...found.keys()].sort()).toEqual(['1', '2']);
        expect(found.get('2')!.attributes.userName).toBe('bob');
        expect((await store.getMany('User', [])).size).toBe(0);
      });

      it('keeps Users and Groups apart even when their ids and names coincide', async () => {
        await store.put(resource('User', '5', { userName: 'shared', externalId: 'ext-5' }));
        await store.put(resource('Group', '5', { displayName: 'shared', externalId: 'ext-g5' }));
        expect((await store.get('User', '5'))!.attributes).toEqual({ userName: 'shared', externalId: 'ext-5' });
        expect((await store.getMany('Group', ['5'])).get('5')!.kind).toBe('Group');
        expect(await store.findId('Group', 'externalId', 'ext-5')).toBeNull();
        expect(await store.findId('User', 'externalId', 'ext-g5')).toBeNull();
        await store.remove('User', '5');
        expect(await store.get('Group', '5')).not.toBeNull();
        expect(await store.findId('Group', 'displayName', 'SHARED')).toBe('5');
      });

      it('removes the record and its index entries, and ignores an unknown id', async () => {
        await store.put(resource('User', '1', { userName: 'alice', externalId: 'okta-1' }));
        await store.remove('User', '1');
        await store.remove('User', 'never-stored');
        expect(await store.get('User', '1')).toBeNull();
        expect(await store.findId('User', 'userName', 'alice')).toBeNull();
        expect(await store.findId('User', 'externalId', 'okta-1')).toBeNull();
      });

      it("hands out a Group's declared members only when asked for, and puts replace or drop them", async () => {
        const sales = resource('Group', '4', { displayName: 'sales' }, { members: ['1', '2'] });
        await store.put(sales);
        const { members: _, ...withoutMembers } = sales;
        expect(await store.get('Group', '4')).toEqual(withoutMembers);
        expect(await store.get('Group', '4', { members: true })).toEqual(sales);
        expect((await store.getMany('Group', ['4'])).get('4')).toEqual(withoutMembers);
        expect((await store.getMany('Group', ['4', 'nobody'], { members: true })).get('4')).toEqual(sales);
        await store.put({ ...sales, members: [] });
        expect((await store.get('Group', '4', { members: true }))!.members).toEqual([]);
        await store.put(withoutMembers);
        expect(await store.get('Group', '4', { members: true })).toEqual(withoutMembers);
        await store.put(sales);
        await store.remove('Group', '4');
        await store.put(withoutMembers);
        expect(await store.get('Group', '4', { members: true })).toEqual(withoutMembers);
      });

      it('keeps a tombstoned user findable by userName so a later POST revives the same id', async () => {
        const tombstone = resource('User', '9', { userName: 'Gone@Example.com' }, { deleted: true });
        await store.put(tombstone);
        expect(await store.get('User', '9')).toEqual(tombstone);
        expect(await store.findId('User', 'userName', 'gone@example.com')).toBe('9');
      });

      it('lists tombstoned ids per kind, and forgets them on revival or removal', async () => {
        await store.put(resource('User', '1', { userName: 'a' }, { deleted: true }));
        await store.put(resource('User', '2', { userName: 'b' }, { deleted: true }));
        await store.put(resource('User', '3', { userName: 'c' }));
        await store.put(resource('Group', '1', { displayName: 'g' }));
        expect((await store.deletedIds('User')).sort()).toEqual(['1', '2']);
        await store.put(resource('User', '1', { userName: 'a' }));
        await store.remove('User', '2');
        expect(await store.deletedIds('User')).toEqual([]);
        expect(await store.deletedIds('Group')).toEqual([]);
      });
    });

    describe('indexes', () => {
      it('finds userName and Group displayName case-insensitively, yet stores the original case', async () => {
        await store.put(resource('User', '1', { userName: 'Alice@Example.COM' }));
        await store.put(resource('Group', '2', { displayName: 'BI Analysts' }));
        expect(await store.findId('User', 'userName', 'alice@example.com')).toBe('1');
        expect(await store.findId('User', 'userName', 'ALICE@EXAMPLE.COM')).toBe('1');
        expect(await store.findId('Group', 'displayName', 'bi analysts')).toBe('2');
        expect((await store.get('User', '1'))!.attributes.userName).toBe('Alice@Example.COM');
      });

      it('finds a User by any of its email values, case-insensitively', async () => {
        await store.put(resource('User', '5', { userName: 'u5', emails: [{ value: 'Work@X.io', type: 'work' }, { value: 'home@x.io' }] }));
        expect(await store.findId('User', 'emails', 'work@x.io')).toBe('5');
        expect(await store.findId('User', 'emails', 'HOME@x.io')).toBe('5');
        await store.put(resource('User', '5', { userName: 'u5', emails: [{ value: 'home@x.io' }] }));
        expect(await store.findId('User', 'emails', 'work@x.io')).toBeNull();
      });

      it('matches externalId exactly (case-sensitive, RFC 7643 §3.1)', async () => {
        await store.put(resource('User', '1', { userName: 'alice', externalId: '00uAbC' }));
        expect(await store.findId('User', 'externalId', '00uAbC')).toBe('1');
        expect(await store.findId('User', 'externalId', '00uabc')).toBeNull();
      });

      it('moves index entries on rename: the old values are gone, the new ones found', async () => {
        await store.put(resource('User', '1', { userName: 'alice', externalId: 'okta-1' }));
        await store.put(resource('User', '1', { userName: 'Alice.Smith', externalId: 'okta-2' }));
        expect(await store.findId('User', 'userName', 'alice')).toBeNull();
        expect(await store.findId('User', 'externalId', 'okta-1')).toBeNull();
        expect(await store.findId('User', 'userName', 'alice.smith')).toBe('1');
        expect(await store.findId('User', 'externalId', 'okta-2')).toBe('1');
      });

      it('keeps the entry when a rename only changes case', async () => {
        await store.put(resource('User', '1', { userName: 'alice' }));
        await store.put(resource('User', '1', { userName: 'ALICE' }));
        expect(await store.findId('User', 'userName', 'Alice')).toBe('1');
      });

      it('drops the entry of an attribute the new version no longer has', async () => {
        await store.put(resource('Group', '4', { displayName: 'ops', externalId: 'azure-4' }));
        await store.put(resource('Group', '4', { displayName: 'ops' }));
        expect(await store.findId('Group', 'externalId', 'azure-4')).toBeNull();
        expect(await store.findId('Group', 'displayName', 'ops')).toBe('4');
      });

      it('leaves an entry another resource has claimed when the previous holder renames or goes away', async () => {
        await store.put(resource('User', '1', { userName: 'alice' }));
        await store.put(resource('User', '2', { userName: 'Alice' }));
        await store.put(resource('User', '1', { userName: 'alice.old' }));
        expect(await store.findId('User', 'userName', 'alice')).toBe('2');
        await store.remove('User', '1');
        expect(await store.findId('User', 'userName', 'alice')).toBe('2');
      });

      it('keeps values that differ only in lone surrogates apart, and apart from U+FFFD and from escapes', async () => {
        await store.put(resource('User', '1', { userName: '\ud800@x.io', externalId: 'ext-\udc00' }));
        await store.put(resource('User', '2', { userName: '\udbff@x.io', externalId: 'ext-\ud800' }));
        await store.put(resource('User', '3', { userName: '\ufffd@x.io', externalId: 'ext-\\udc00' }));
        expect(await store.findId('User', 'userName', '\ud800@X.io')).toBe('1');
        expect(await store.findId('User', 'userName', '\udbff@x.io')).toBe('2');
        expect(await store.findId('User', 'userName', '\ufffd@x.io')).toBe('3');
        expect(await store.findId('User', 'userName', '\udc00@x.io')).toBeNull();
        expect(await store.findId('User', 'externalId', 'ext-\udc00')).toBe('1');
        expect(await store.findId('User', 'externalId', 'ext-\ud800')).toBe('2');
        expect(await store.findId('User', 'externalId', 'ext-\\udc00')).toBe('3');
        expect((await store.get('User', '2'))!.attributes.userName).toBe('\udbff@x.io');
        await store.put(resource('User', '1', { userName: 'renamed@x.io' }));
        expect(await store.findId('User', 'userName', '\ud800@x.io')).toBeNull();
        expect(await store.findId('User', 'externalId', 'ext-\udc00')).toBeNull();
        expect(await store.findId('User', 'userName', '\udbff@x.io')).toBe('2');
      });

      it('leaves only the winning name indexed when renames of one resource race', async () => {
        await store.put(resource('User', '1', { userName: 'start' }));
        const names = Array.from({ length: 20 }, (_, n) => `name-${n}`);
        await Promise.all(names.map((userName) => store.put(resource('User', '1', { userName }))));
        const final = (await store.get('User', '1'))!.attributes.userName;
        const indexed = [];
        for (const userName of ['start', ...names]) {
          if ((await store.findId('User', 'userName', userName)) === '1') indexed.push(userName);
        }
        expect(indexed).toEqual([final]);
      });
    });

    describe('tokens', () => {
      it('lists tokens sorted by name and overwrites a token of the same name', async () => {
        expect(await store.listTokens()).toEqual([]);
        await store.putToken(token('okta', 'a'.repeat(64)));
        await store.putToken(token('entra', 'b'.repeat(64)));
        await store.putToken({ ...token('okta', 'c'.repeat(64)), expiresAt: '2026-01-01T00:00:00.000Z' });
        expect(await store.listTokens()).toEqual([token('entra', 'b'.repeat(64)), { ...token('okta', 'c'.repeat(64)), expiresAt: '2026-01-01T00:00:00.000Z' }]);
      });

      it('deletes a token, answering true only when it existed', async () => {
        await store.putToken(token('okta', 'a'.repeat(64)));
        expect(await store.deleteToken('okta')).toBe(true);
        expect(await store.deleteToken('okta')).toBe(false);
        expect(await store.deleteToken('never')).toBe(false);
        expect(await store.listTokens()).toEqual([]);
      });
    });

    describeOpsContract(() => store);

    it('answers ping while healthy', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

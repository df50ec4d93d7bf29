// Membership PATCH operations as a plan of steps, and the one delta the steps add up to.
import { describe, expect, it } from 'vitest';
import { splitMemberOperations, toMemberDelta } from '../../src/provisioning/membership.ts';
import { parsePatch } from '../../src/scim/patch-message.ts';
import { URN } from '../../src/scim/urns.ts';

const plan = (...operations: unknown[]) => splitMemberOperations(parsePatch({ schemas: [URN.patchOp], Operations: operations }));

describe('membership plans', () => {
  it('names ids without reading the group, and keeps the other operations apart', async () => {
    const { memberSteps, otherOperations } = plan(
      { op: 'add', path: 'members', value: [{ value: '1' }, { value: '2' }] },
      { op: 'remove', path: 'members[value eq "2" or value eq "3"]' },
      { op: 'replace', value: { displayName: 'Renamed', members: [{ value: '4' }] } },
      { op: 'add', path: 'members', value: [{ value: '5' }] },
    );
    expect(otherOperations).toEqual([{ op: 'replace', value: { displayName: 'Renamed' } }]);
    const delta = await toMemberDelta(memberSteps, () => Promise.reject(new Error('no read needed')));
    expect(delta).toEqual({ replaceWith: ['4'], add: ['5'], remove: [] });
  });

  it('reads the current members once, only for a filter that names no ids', async () => {
    let reads = 0;
    const { memberSteps } = plan(
      { op: 'remove', path: 'members[value sw "1"]' },
      { op: 'remove', path: 'members[value ew "9"]' },
      { op: 'add', path: 'members', value: [{ value: '19' }] },
    );
    const delta = await toMemberDelta(memberSteps, async () => (reads++, ['10', '11', '29', '3']));
    expect(reads).toBe(1);
    expect(delta).toEqual({ replaceWith: null, add: ['19'], remove: ['10', '11', '29'] });
  });

  it('refuses a filtered add while planning, before anything is written', () => {
    expect(() => plan({ op: 'add', path: 'members[value eq "1"]', value: [{ value: '1' }] })).toThrow(expect.objectContaining({ scimType: 'invalidPath' }));
  });
});

// Large values on a person of their own: thousands of emails in one PATCH or PUT, attribute lists of 100,000 names.
import fc from 'fast-check';
import { patchBody, userBody } from '../support/build-test-app.ts';
import { printable, type FuzzRequest } from './exchange.ts';
import { ATTRIBUTE_PATHS } from './filters.ts';
import type { FuzzHarness } from './harness.ts';
import { manyEmailsText } from './patches.ts';
import { sizeUpTo } from './unicode.ts';

const SHAPES = ['patch-add-emails', 'patch-replace-emails', 'put-emails', 'read-attributes', 'list-attributes'] as const;

export interface LargeCase {
  shape: (typeof SHAPES)[number];
  size: number;
}

/** Attribute names only (no value filters), so the whole list is projected rather than refused at the first name. */
const NAMES = ATTRIBUTE_PATHS.filter((name) => !name.startsWith('urn:x'));

/**
 * Email counts up to `maxEmails` (each email about 45 bytes, so well inside the 1 MiB body limit) and attribute
 * lists up to 120,000 names: most cases are small, some near the top.
 */
export function largeCase(maxEmails: number): fc.Arbitrary<LargeCase> {
  return fc
    .tuple(fc.constantFrom(...SHAPES), sizeUpTo(maxEmails), sizeUpTo(120_000))
    .map(([shape, emails, names]) => ({ shape, size: shape.endsWith('attributes') ? names : emails }));
}

function attributeList(size: number): string {
  return Array.from({ length: Math.max(1, size) }, (_, i) => NAMES[i % NAMES.length]).join(',');
}

/** The emails are this person's own (`large.<n>.<i>@…`), so none is refused as someone else's. */
function requestFor({ shape, size }: LargeCase, id: string, userName: string): FuzzRequest {
  const tag = userName.replace(/@.*/, '');
  const emails = () => JSON.parse(manyEmailsText(size, tag));
  switch (shape) {
    case 'patch-add-emails':
      return {
        method: 'PATCH',
        path: `/Users/${id}`,
        body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":${manyEmailsText(size, tag)}}]}`,
      };
    case 'patch-replace-emails':
      return { method: 'PATCH', path: `/Users/${id}`, body: JSON.stringify(patchBody({ op: 'replace', value: { emails: emails() } })) };
    case 'put-emails':
      return { method: 'PUT', path: `/Users/${id}`, body: JSON.stringify(userBody(userName, { emails: emails() })) };
    case 'read-attributes':
      return { method: 'GET', path: `/Users/${id}?attributes=${attributeList(size)}` };
    case 'list-attributes':
      return { method: 'GET', path: `/Users?count=20&attributes=${attributeList(size)}` };
  }
}

let person = 0;

/** A fresh person takes the large request, then is deleted: no case inherits another's thousands of emails. */
export async function checkLargeCase(h: FuzzHarness, value: LargeCase): Promise<void> {
  const userName = `large.${++person}@example.com`;
  const created = await h.send({ method: 'POST', path: '/Users', body: JSON.stringify(userBody(userName)) });
  const { id } = JSON.parse(created.text) as { id: string };
  try {
    await h.send(printable(requestFor(value, id, userName)));
  } finally {
    await h.exchange({ method: 'DELETE', path: `/Users/${id}` });
  }
}

// User documents ⇄ the directory model: what the BI tool is asked to hold, and how a person renders as SCIM.
import type { DirectoryUser, DirectoryUserInput } from '../directory.ts';
import { ScimError } from '../scim/errors.ts';
import { primaryEmail, renderResource, type ScimDoc } from '../scim/resources.ts';
import type { StoredResource } from '../store/mapping-store.ts';
import { isoNow, type Provisioning, type RequestContext } from './context.ts';
import { location, userGroupRefs } from './group-view.ts';

/** Resolves `{path}` placeholders against the document: `{userName}`, `okta_{externalId}`, `{urn:…:User:employeeNumber}`. */
export function renderUsername(template: string, doc: ScimDoc): string {
  return template.replace(/\{([^}]+)\}/g, (_, path: string) => {
    const value = readPath(doc, path);
    if (typeof value !== 'string' || value === '') {
      throw new ScimError('invalidValue', `The BI username template needs "${path}", which this User lacks`);
    }
    return value;
  });
}

function readPath(doc: ScimDoc, path: string): unknown {
  const urn = Object.keys(doc).find((k) => k.startsWith('urn:') && path.toLowerCase().startsWith(`${k.toLowerCase()}:`));
  if (urn) return readPath(doc[urn] as ScimDoc, path.slice(urn.length + 1));
  return path.split('.').reduce<unknown>((node, key) => {
    if (Array.isArray(node)) node = node.find((v) => (v as ScimDoc)?.primary === true) ?? node[0];
    if (!node || typeof node !== 'object') return undefined;
    const match = Object.keys(node).find((k) => k.toLowerCase() === key.toLowerCase());
    return match === undefined ? undefined : (node as ScimDoc)[match];
  }, doc);
}

/** The BI tools key people by email and refuse one that is not email-shaped; checked on input, also while the person is away. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function toDirectoryInput(p: Provisioning, doc: ScimDoc): DirectoryUserInput {
  const email = primaryEmail(doc);
  if (!email) throw new ScimError('invalidValue', 'A User needs an email: in "emails" or as an email-shaped "userName"');
  if (!EMAIL.test(email)) throw new ScimError('invalidValue', `The login email "${email}" is not an email address`);
  const name = (doc.name ?? {}) as { givenName?: string; familyName?: string };
  return {
    email,
    username: p.options.usernameTemplate ? renderUsername(p.options.usernameTemplate, doc) : null,
    givenName: name.givenName ?? null,
    familyName: name.familyName ?? null,
    locale: typeof doc.locale === 'string' ? doc.locale : null,
  };
}

/** The attributes of a person bi-scim has no record of (made in the BI tool, or the store was lost). */
function attributesFromDirectory(user: DirectoryUser): ScimDoc {
  const doc: ScimDoc = { userName: user.username ?? user.email };
  const name = { ...(user.givenName ? { givenName: user.givenName } : {}), ...(user.familyName ? { familyName: user.familyName } : {}) };
  if (Object.keys(name).length > 0) doc.name = name;
  const display = [user.givenName, user.familyName].filter(Boolean).join(' ');
  if (display) doc.displayName = display;
  doc.emails = [{ value: user.email, type: 'work', primary: true }];
  if (user.locale) doc.locale = user.locale;
  return doc;
}

/** A person's SCIM attributes without `groups` or meta: stored ones exactly as sent, `active` live from the BI tool. */
export function attributesOf(user: DirectoryUser, record: StoredResource | null | undefined): ScimDoc {
  return { ...(record?.attributes ?? attributesFromDirectory(user)), active: user.active };
}

/** Stored attributes come back exactly as sent; `active` and `groups` are always the BI tool's live state. */
export async function renderUser(p: Provisioning, ctx: RequestContext, user: DirectoryUser, record: StoredResource | null | undefined): Promise<ScimDoc> {
  const attributes = attributesOf(user, record);
  const groups = await userGroupRefs(p, ctx, user.groupIds);
  if (groups.length > 0) attributes.groups = groups;
  return renderResource('User', attributes, {
    id: user.id,
    created: record?.created ?? user.created ?? isoNow(p),
    lastModified: record?.lastModified ?? user.lastModified ?? isoNow(p),
    location: location(ctx, 'Users', user.id),
  });
}

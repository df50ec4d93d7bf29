// The attributes bi-scim stores and returns (RFC 7643 §4, §8.7.1): one table serves /Schemas, input checks and filters.
import { URN } from './urns.ts';

export type AttributeType = 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime' | 'integer' | 'decimal';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: AttributeDef[];
  referenceTypes?: string[];
  canonicalValues?: string[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

type Extra = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;

function attr(name: string, type: AttributeType, description: string, extra: Extra = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...extra,
  };
}

const str = (name: string, description: string, extra?: Extra) => attr(name, 'string', description, extra);

/** A multi-valued attribute of the common value/display/type/primary shape (RFC 7643 §2.4). */
function multi(name: string, description: string, types: string[], valueType: AttributeType = 'string'): AttributeDef {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      attr('value', valueType, `The ${name} value.`),
      str('display', 'A human-readable name.'),
      str('type', 'A label for the value.', { canonicalValues: types }),
      attr('primary', 'boolean', 'Whether this is the primary value.'),
    ],
  });
}

/** Marks a multi-valued attribute and its `value` as required. */
function required(def: AttributeDef): AttributeDef {
  return { ...def, required: true, subAttributes: def.subAttributes?.map((sub) => (sub.name === 'value' ? { ...sub, required: true } : sub)) };
}

function memberRef(name: string, description: string, mutability: AttributeDef['mutability'], referenceTypes: string[]): AttributeDef {
  return attr(name, 'complex', description, {
    multiValued: true,
    mutability,
    subAttributes: [
      str('value', 'The id of the referenced resource.', { mutability: 'immutable', caseExact: true }),
      attr('$ref', 'reference', 'The URI of the referenced resource.', { mutability: 'immutable', referenceTypes }),
      str('display', 'A human-readable name.', { mutability: 'readOnly' }),
      str('type', 'The kind of membership.', { mutability: 'immutable', canonicalValues: ['direct'] }),
    ],
  });
}

export const USER_SCHEMA: SchemaDef = {
  id: URN.user,
  name: 'User',
  description: 'A person in the BI tool',
  attributes: [
    str('userName', 'Unique login name; matched case-insensitively, returned as sent.', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', 'The components of the person\'s name.', {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'Family name (Metabase last_name, Superset last_name).'),
        str('givenName', 'Given name (Metabase first_name, Superset first_name).'),
        str('middleName', 'Middle name.'),
        str('honorificPrefix', 'Honorific prefix.'),
        str('honorificSuffix', 'Honorific suffix.'),
      ],
    }),
    str('displayName', 'The name displayed to end users.'),
    str('nickName', 'Casual name.'),
    str('title', 'Job title.'),
    str('userType', 'Relationship to the organisation.'),
    str('preferredLanguage', 'Preferred language.'),
    str('locale', 'Locale for localisation (sent to the BI tool where it has one).'),
    str('timezone', 'Time zone (IANA name).'),
    attr('active', 'boolean', 'Whether the person can sign in; false deactivates in the BI tool.'),
    // Required because the BI tools key people by email; an email-shaped userName is accepted in its place.
    required(multi('emails', 'Email addresses; the primary (or work, or first) one is the BI login email.', ['work', 'home', 'other'])),
    multi('phoneNumbers', 'Phone numbers, stored exactly as sent.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    memberRef('groups', 'The groups the person belongs to, read from the BI tool.', 'readOnly', ['Group']),
  ],
};

export const ENTERPRISE_USER_SCHEMA: SchemaDef = {
  id: URN.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User extension (RFC 7643 §4.3)',
  attributes: [
    str('employeeNumber', 'Employee number.'),
    str('costCenter', 'Cost center.'),
    str('organization', 'Organisation.'),
    str('division', 'Division.'),
    str('department', 'Department.'),
    attr('manager', 'complex', 'The person\'s manager.', {
      subAttributes: [
        str('value', 'The id of the manager.', { caseExact: true }),
        attr('$ref', 'reference', 'The URI of the manager.', { referenceTypes: ['User'] }),
        str('displayName', 'The manager\'s display name, stored as sent.'),
      ],
    }),
  ],
};

export const GROUP_SCHEMA: SchemaDef = {
  id: URN.group,
  name: 'Group',
  description: 'A BI group (Metabase permission group, Superset group or role)',
  attributes: [
    str('displayName', 'Unique group name; matched case-insensitively.', { required: true, uniqueness: 'server' }),
    memberRef('members', 'The people in the group.', 'readWrite', ['User']),
  ],
};

/** Attributes every resource has (RFC 7643 §3.1): not part of a schema's attribute list. */
export const COMMON_ATTRIBUTES = ['id', 'externalId', 'meta', 'schemas'];

export const RESOURCE_SCHEMAS = {
  User: { core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] },
  Group: { core: GROUP_SCHEMA, extensions: [] as SchemaDef[] },
} as const;

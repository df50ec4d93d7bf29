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

export function attr(name: string, type: AttributeType, description: string, extra: Extra = {}): AttributeDef {
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
  // RFC 7643 §8.7.1's wording; Microsoft's SCIM validator compares it.
  description: 'User Account',
  attributes: [
    str('userName', 'Unique login name; matched case-insensitively, returned as sent.', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', "The components of the person's name.", {
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
    attr('manager', 'complex', "The person's manager.", {
      subAttributes: [
        str('value', 'The id of the manager.', { caseExact: true }),
        attr('$ref', 'reference', 'The URI of the manager.', { referenceTypes: ['User'] }),
        str('displayName', "The manager's display name, stored as sent."),
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

/** Attributes every resource has (RFC 7643 §3.1): outside every schema's attribute list, never in /Schemas. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  str('id', "The BI tool's own primary key.", { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  str('externalId', "The IdP's identifier, stored as sent.", { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'User or Group.', { caseExact: true }),
      attr('created', 'dateTime', 'When bi-scim first saw the resource.'),
      attr('lastModified', 'dateTime', 'When bi-scim last changed it.'),
      attr('location', 'reference', "The resource's URI."),
      str('version', 'A weak ETag (RFC 7644 §3.14).', { caseExact: true }),
    ],
  }),
];

export const RESOURCE_SCHEMAS = {
  User: { core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] },
  Group: { core: GROUP_SCHEMA, extensions: [] as SchemaDef[] },
} as const;

export type ResourceKind = keyof typeof RESOURCE_SCHEMAS;

/** Attributes bi-scim answers `eq` filters on from its own index (design §2.9). */
export const INDEXED_ATTRIBUTES = {
  User: ['userName', 'externalId', 'emails'],
  Group: ['displayName', 'externalId'],
} as const satisfies Record<ResourceKind, readonly string[]>;

/** The facts other modules need, derived once from the tables above; names are lower case, dotted without schema. */
export interface AttributeFacts {
  /** Attributes and sub-attributes of type boolean, by their own name (`active`, `primary`). */
  booleans: ReadonlySet<string>;
  /** Top-level attributes no client may write (RFC 7643 §2.2). */
  readOnly: ReadonlySet<string>;
  multiValued: ReadonlySet<string>;
  /** Dotted names compared case-sensitively (RFC 7643 §2.3.1 caseExact); every other string folds case. */
  caseExact: ReadonlySet<string>;
  /** Dotted names of dateTime attributes: compared as instants (RFC 7644 §3.4.2.2). */
  dateTimes: ReadonlySet<string>;
  /** Unqualified names that belong to an extension schema, e.g. `manager` → the enterprise User URN. */
  extensions: ReadonlyMap<string, string>;
}

function collectFacts(): AttributeFacts {
  const facts = {
    booleans: new Set<string>(),
    readOnly: new Set<string>(),
    multiValued: new Set<string>(),
    caseExact: new Set<string>(),
    dateTimes: new Set<string>(),
    extensions: new Map<string, string>(),
  };
  const visit = (def: AttributeDef, prefix: string) => {
    const dotted = `${prefix}${def.name}`.toLowerCase();
    if (def.type === 'boolean') facts.booleans.add(def.name.toLowerCase());
    if (def.caseExact) facts.caseExact.add(dotted);
    if (def.type === 'dateTime') facts.dateTimes.add(dotted);
    for (const sub of def.subAttributes ?? []) visit(sub, `${dotted}.`);
  };
  const kinds = Object.values(RESOURCE_SCHEMAS);
  const topLevel = [...COMMON_ATTRIBUTES, ...kinds.flatMap(({ core, extensions }) => [core, ...extensions].flatMap((s) => s.attributes))];
  for (const def of topLevel) {
    visit(def, '');
    if (def.mutability === 'readOnly') facts.readOnly.add(def.name.toLowerCase());
    if (def.multiValued) facts.multiValued.add(def.name.toLowerCase());
  }
  for (const extension of kinds.flatMap((k) => k.extensions))
    for (const def of extension.attributes) facts.extensions.set(def.name.toLowerCase(), extension.id);
  return facts;
}

export const ATTRIBUTE_FACTS: AttributeFacts = collectFacts();

// The schemas that describe discovery itself (RFC 7643 §5–§7), served at /Schemas beside User and Group.
import { attr, type AttributeDef, type SchemaDef } from './schemas.ts';
import { URN } from './urns.ts';

const readOnly = { mutability: 'readOnly' as const };
const bool = (name: string, description: string) => attr(name, 'boolean', description, { ...readOnly, required: true });
const text = (name: string, description: string, extra: Partial<AttributeDef> = {}) => attr(name, 'string', description, { ...readOnly, ...extra });
const int = (name: string, description: string) => attr(name, 'integer', description, readOnly);
const complex = (name: string, description: string, subAttributes: AttributeDef[], extra: Partial<AttributeDef> = {}) =>
  attr(name, 'complex', description, { ...readOnly, subAttributes, ...extra });
const supported = (name: string, description: string, more: AttributeDef[] = []) =>
  complex(name, description, [bool('supported', 'Whether the operation is supported.'), ...more], { required: true });

const SERVICE_PROVIDER_CONFIG_SCHEMA: SchemaDef = {
  id: URN.serviceProviderConfig,
  name: 'Service Provider Configuration',
  description: "Schema for representing the service provider's configuration",
  attributes: [
    attr('documentationUri', 'reference', 'An HTTP-addressable URL pointing to the help documentation.', { ...readOnly, referenceTypes: ['external'] }),
    supported('patch', 'PATCH configuration options.'),
    supported('bulk', 'Bulk configuration options.', [
      int('maxOperations', 'Maximum number of operations.'),
      int('maxPayloadSize', 'Maximum payload size in bytes.'),
    ]),
    supported('filter', 'Filter options.', [int('maxResults', 'Maximum number of resources returned.')]),
    supported('changePassword', 'Change password options.'),
    supported('sort', 'Sort options.'),
    supported('etag', 'ETag options.'),
    complex(
      'authenticationSchemes',
      'Supported authentication schemes.',
      [
        text('type', 'The authentication scheme.', { required: true }),
        text('name', 'The common authentication scheme name.', { required: true }),
        text('description', 'A description of the authentication scheme.', { required: true }),
        attr('specUri', 'reference', 'The specification of the scheme.', { ...readOnly, referenceTypes: ['external'] }),
        attr('documentationUri', 'reference', 'Documentation of the scheme.', { ...readOnly, referenceTypes: ['external'] }),
      ],
      { multiValued: true, required: true },
    ),
  ],
};

const RESOURCE_TYPE_SCHEMA: SchemaDef = {
  id: URN.resourceType,
  name: 'ResourceType',
  description: 'Specifies the schema that describes a SCIM resource type',
  attributes: [
    text('id', "The resource type's server unique id."),
    text('name', 'The resource type name.', { required: true }),
    text('description', "The resource type's human-readable description."),
    attr('endpoint', 'reference', "The resource type's HTTP-addressable endpoint.", { ...readOnly, required: true, referenceTypes: ['uri'] }),
    attr('schema', 'reference', "The resource type's primary schema URI.", { ...readOnly, required: true, caseExact: true, referenceTypes: ['uri'] }),
    complex(
      'schemaExtensions',
      "A list of URIs of the resource type's schema extensions.",
      [
        attr('schema', 'reference', 'The URI of a schema extension.', { ...readOnly, required: true, caseExact: true, referenceTypes: ['uri'] }),
        bool('required', 'Whether the extension is required.'),
      ],
      { multiValued: true },
    ),
  ],
};

/** The sub-attributes every attribute definition has (RFC 7643 §7); `subAttributes` repeats them one level down. */
const ATTRIBUTE_FIELDS = [
  text('name', "The attribute's name.", { required: true, caseExact: true }),
  text('type', "The attribute's data type.", {
    required: true,
    canonicalValues: ['string', 'complex', 'boolean', 'decimal', 'integer', 'dateTime', 'reference'],
  }),
  bool('multiValued', 'Whether the attribute is multi-valued.'),
  text('description', 'A human-readable description of the attribute.'),
  attr('required', 'boolean', 'Whether the attribute is required.', readOnly),
  text('canonicalValues', 'A collection of canonical values.', { multiValued: true }),
  attr('caseExact', 'boolean', 'Whether the attribute is case-sensitive.', readOnly),
  text('mutability', 'Whether the attribute is mutable.', { canonicalValues: ['readOnly', 'readWrite', 'immutable', 'writeOnly'] }),
  text('returned', 'When the attribute is returned.', { canonicalValues: ['always', 'never', 'default', 'request'] }),
  text('uniqueness', 'How uniqueness is enforced.', { canonicalValues: ['none', 'server', 'global'] }),
  text('referenceTypes', 'The resource types that may be referenced.', { multiValued: true }),
];

const SCHEMA_SCHEMA: SchemaDef = {
  id: URN.schema,
  name: 'Schema',
  description: 'Specifies the schema attribute definitions',
  attributes: [
    text('id', 'The unique URI of the schema.', { required: true, caseExact: true }),
    text('name', "The schema's human-readable name."),
    text('description', "The schema's human-readable description."),
    complex(
      'attributes',
      'The attributes of the schema.',
      [...ATTRIBUTE_FIELDS, complex('subAttributes', 'The sub-attributes of a complex attribute.', ATTRIBUTE_FIELDS, { multiValued: true })],
      {
        multiValued: true,
        required: true,
      },
    ),
  ],
};

export const DISCOVERY_SCHEMAS: SchemaDef[] = [SERVICE_PROVIDER_CONFIG_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA];

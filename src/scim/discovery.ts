// Discovery documents (RFC 7644 §4, RFC 7643 §5–§7), built from the same schema table that checks input.
import { DISCOVERY_SCHEMAS } from './discovery-schemas.ts';
import { MAX_COUNT } from './list.ts';
import { RESOURCE_SCHEMAS, type SchemaDef } from './schemas.ts';
import { URN } from './urns.ts';

function meta(base: string, resourceType: string, path: string) {
  return { resourceType, location: `${base}${path}` };
}

export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: [URN.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A bearer token issued by the bi-scim operator (BI_SCIM_TOKENS or bi-scim token create)',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: meta(base, 'ServiceProviderConfig', '/ServiceProviderConfig'),
  };
}

export function resourceTypes(base: string): Record<string, unknown>[] {
  return (['User', 'Group'] as const).map((name) => ({
    schemas: [URN.resourceType],
    id: name,
    name,
    endpoint: `/${name}s`,
    description: RESOURCE_SCHEMAS[name].core.description,
    schema: RESOURCE_SCHEMAS[name].core.id,
    schemaExtensions: RESOURCE_SCHEMAS[name].extensions.map((e) => ({ schema: e.id, required: false })),
    meta: meta(base, 'ResourceType', `/ResourceTypes/${name}`),
  }));
}

function schemaDocument(base: string, schema: SchemaDef): Record<string, unknown> {
  return { schemas: [URN.schema], ...schema, meta: meta(base, 'Schema', `/Schemas/${schema.id}`) };
}

/** Every schema advertised: core User and Group and the enterprise extension (each attribute one bi-scim stores), and discovery's own. */
export function schemas(base: string): Record<string, unknown>[] {
  const all = [RESOURCE_SCHEMAS.User.core, ...RESOURCE_SCHEMAS.User.extensions, RESOURCE_SCHEMAS.Group.core, ...DISCOVERY_SCHEMAS];
  return all.map((s) => schemaDocument(base, s));
}

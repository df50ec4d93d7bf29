// SCIM errors (RFC 7644 §3.12): one typed error whose status/scimType pairs are fixed by its code.

export const SCIM_ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Every error bi-scim answers with, and the HTTP status and scimType each one carries. */
const ERRORS = {
  invalidFilter: { status: 400, scimType: 'invalidFilter' },
  tooMany: { status: 400, scimType: 'tooMany' },
  uniqueness: { status: 409, scimType: 'uniqueness' },
  mutability: { status: 400, scimType: 'mutability' },
  invalidSyntax: { status: 400, scimType: 'invalidSyntax' },
  invalidPath: { status: 400, scimType: 'invalidPath' },
  noTarget: { status: 400, scimType: 'noTarget' },
  invalidValue: { status: 400, scimType: 'invalidValue' },
  invalidVers: { status: 400, scimType: 'invalidVers' },
  sensitive: { status: 403, scimType: 'sensitive' },
  protectedPrincipal: { status: 403, scimType: undefined },
  unauthorized: { status: 401, scimType: undefined },
  notFound: { status: 404, scimType: undefined },
  methodNotAllowed: { status: 405, scimType: undefined },
  notAcceptable: { status: 406, scimType: undefined },
  versionMismatch: { status: 412, scimType: undefined },
  payloadTooLarge: { status: 413, scimType: undefined },
  unsupportedMediaType: { status: 415, scimType: undefined },
  tooManyRequests: { status: 429, scimType: undefined },
  headersTooLarge: { status: 431, scimType: undefined },
  internal: { status: 500, scimType: undefined },
  notImplemented: { status: 501, scimType: undefined },
  badGateway: { status: 502, scimType: undefined },
  unavailable: { status: 503, scimType: undefined },
  gatewayTimeout: { status: 504, scimType: undefined },
} as const satisfies Record<string, { status: number; scimType: string | undefined }>;

export type ScimErrorCode = keyof typeof ERRORS;

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_URN];
  status: string;
  scimType?: string;
  detail: string;
}

export class ScimError extends Error {
  readonly code: ScimErrorCode;
  readonly status: number;
  readonly scimType: string | undefined;
  /** Seconds the client should wait (429, 503). */
  readonly retryAfter: number | undefined;
  /** The methods a 405's resource does allow (RFC 9110 §15.5.6 requires them in `Allow`). */
  readonly allow: string[] | undefined;
  /** A decision to refuse (the deprovisioning guard's 503), not a failure: audited as `refused`. */
  readonly refusal: boolean;

  constructor(code: ScimErrorCode, detail: string, options?: { retryAfter?: number; allow?: string[]; refusal?: boolean; cause?: unknown }) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScimError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.scimType = ERRORS[code].scimType;
    this.retryAfter = options?.retryAfter;
    this.allow = options?.allow;
    this.refusal = options?.refusal ?? false;
  }

  toJSON(): ScimErrorBody {
    return {
      schemas: [SCIM_ERROR_URN],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.message,
    };
  }
}

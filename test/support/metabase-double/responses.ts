// How Metabase words its answers: bare-text vs JSON error bodies, as its exception middleware builds them.

export const NOT_FOUND = 'Not found.';
export const FORBIDDEN = "You don't have permissions to do that.";
export const UNAUTHENTICATED = 'Unauthenticated';
/** The catch-all route of metabase.api-routes.routes (an unknown /api path, or a route param that fails its regex). */
export const NO_ENDPOINT = 'API endpoint does not exist.';
export const ALL_USERS_REFUSAL = "You cannot add or remove users to/from the 'All Users' group.";
export const LAST_ADMIN_REFUSAL = "You cannot remove the last member of the 'Admin' group!";
export const GROUP_NAME_TAKEN = 'A group with that name already exists.';
export const GROUP_MANAGER_PAYWALL =
  'The group manager permissions functionality is only enabled if you have a premium token with the advanced-permissions feature.';

export interface Reply {
  status: number;
  /** A string is sent as text/plain, anything else but undefined as JSON; undefined sends no body. */
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

/** Thrown by handlers; the request's transaction is rolled back and `reply` is sent. */
export class MetabaseError extends Error {
  readonly reply: Reply;

  constructor(status: number, body: unknown) {
    super(typeof body === 'string' ? body : `Metabase answered ${status}`);
    this.reply = { status, body };
  }
}

export function json(body: unknown, status = 200): Reply {
  return { status, body };
}

export const NO_CONTENT: Reply = { status: 204 };

/** An ex-info with a status code and no other data: the message is the whole (plain-text) body. */
export function textError(status: number, message: string): MetabaseError {
  return new MetabaseError(status, message);
}

export function notFound(): MetabaseError {
  return textError(404, NOT_FOUND);
}

export function forbidden(): MetabaseError {
  return textError(403, FORBIDDEN);
}

/** `api/checkp`: 400 with `{"errors": {field: message}}`. */
export function fieldError(field: string, message: string, status = 400): MetabaseError {
  return new MetabaseError(status, { errors: { [field]: message } });
}

interface ExceptionShape {
  /** Extra ex-data merged into the body (and shown under `data` for an ex-info). */
  extra?: Record<string, unknown>;
  javaClass?: string;
  /** The message of the original exception when `message` wraps it. */
  cause?: string;
}

/**
 * An ex-info with extra data but no `errors`, or any exception without a status code (then 500): Metabase sends
 * `Throwable->map` (via, trace, cause, data) merged with `message` and the extra data.
 */
export function exceptionError(status: number, message: string, shape: ExceptionShape = {}): MetabaseError {
  const { extra = {}, javaClass = 'clojure.lang.ExceptionInfo', cause = message } = shape;
  const exInfo = javaClass === 'clojure.lang.ExceptionInfo';
  const data = status === 500 ? extra : { ...extra, 'status-code': status };
  const via = [{ type: javaClass, message: cause, ...(exInfo ? { data } : {}), at: [] }];
  return new MetabaseError(status, { via, trace: [], cause, ...(exInfo ? { data } : {}), message, ...extra });
}

/** An uncaught SQLException: 500 with the JDBC exception chain split into lines. */
export function sqlError(message: string, sqlState: string): MetabaseError {
  const error = exceptionError(500, message, { javaClass: 'org.postgresql.util.PSQLException' });
  const body = error.reply.body as Record<string, unknown>;
  body['sql-exception-chain'] = ['SQLException:', `Message: ${message}`, `SQLState: ${sqlState}`, 'Error Code: 0'];
  return error;
}

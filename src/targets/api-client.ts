// What both adapters share on top of the HTTP client: JSON calls that succeed or throw a TargetError, numeric ids,
// and single-flight renewal of a login.
import type { z } from 'zod';
import type { CallOptions, HttpResponse } from './http.ts';
import { TargetError } from './target.ts';

/** Anything that makes an authenticated call to the BI tool (an adapter's session). */
export interface Caller {
  call(method: string, route: string, options?: CallOptions): Promise<HttpResponse>;
}

export interface ApiClientOptions {
  /** The adapter's one mapping from a non-success answer to a TargetError. */
  toError: (method: string, route: string, res: HttpResponse) => TargetError;
  /** Whether a 404 means "no such row" (as opposed to "no such API"); every 404 does by default. */
  isMissingRow?: (route: string, res: HttpResponse) => boolean;
}

export class ApiClient {
  readonly #caller: Caller;
  readonly #toError: ApiClientOptions['toError'];
  readonly #isMissingRow: NonNullable<ApiClientOptions['isMissingRow']>;

  constructor(caller: Caller, { toError, isMissingRow = () => true }: ApiClientOptions) {
    this.#caller = caller;
    this.#toError = toError;
    this.#isMissingRow = isMissingRow;
  }

  /**
   * The body of a 2xx answer, checked against `shape` (what the adapter relies on; other keys are dropped): a body of
   * another shape is `unexpected_answer`, never a TypeError later. A missing row gives null when `allowMissing`.
   */
  async send<S extends z.ZodType>(method: string, route: string, options: CallOptions, shape: S, allowMissing = false): Promise<z.output<S> | null> {
    const res = await this.#caller.call(method, route, options);
    if (res.status >= 200 && res.status < 300) return checkShape(method, route, res.body, shape);
    if (allowMissing && res.status === 404 && this.#isMissingRow(route, res)) return null;
    throw this.#toError(method, route, res);
  }

  /**
   * Each value at `path` of a 2xx answer (see CallOptions.each), checked against `shape` and handed to `use` as it is
   * parsed: the memory a read takes is what `use` keeps, not the answer's size.
   */
  async each<S extends z.ZodType>(
    method: string,
    route: string,
    options: CallOptions,
    path: string,
    shape: S,
    use: (value: z.output<S>, key: string | number | undefined) => void,
  ): Promise<void> {
    const onValue = (value: unknown, key: string | number | undefined) => use(checkShape(method, route, value, shape), key);
    const res = await this.#caller.call(method, route, { ...options, each: { path, onValue } });
    if (res.status < 200 || res.status >= 300) throw this.#toError(method, route, res);
  }

  async must<S extends z.ZodType>(method: string, route: string, options: CallOptions, shape: S): Promise<z.output<S>> {
    return (await this.send(method, route, options, shape)) as z.output<S>;
  }
}

/** Where an answer does not have the shape the adapter relies on; the first few problems, with their paths. */
function checkShape<S extends z.ZodType>(method: string, route: string, body: unknown, shape: S): z.output<S> {
  const result = shape.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new TargetError('unexpected_answer', `${method} ${route} answered an unexpected body (${problems.join('; ')})`);
}

/** Both BI tools number rows from 1; anything else can name no row, so it is never sent. */
export function isNumericId(id: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(id);
}

/** Concurrent callers share one run of `start` (e.g. one login after many 401s); the next call starts afresh. */
export class SingleFlight<T> {
  #running: Promise<T> | null = null;

  run(start: () => Promise<T>): Promise<T> {
    this.#running ??= start().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }
}

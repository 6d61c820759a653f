import type { ErrorEnvelope } from './types.ts';

/** An API error with the envelope's code and message, in product words, and the request id. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SIGNED_OUT = new Set(['unauthenticated', 'session_expired', 'invalid_credentials']);

let csrfToken: string | null = null;
let onSignedOut: ((code: string) => void) | null = null;

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}
/** Called when a request finds the session gone (expired, signed out elsewhere). */
export function onSessionLost(fn: (code: string) => void) {
  onSignedOut = fn;
}

/** Turns the error envelope's validation issues into "field: message" lines. */
export function issueLines(details: unknown): string[] {
  const issues = (
    details as { issues?: { path?: (string | number)[]; instancePath?: string; message?: string }[] }
  )?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.map((i) => {
    const where = i.path?.length
      ? i.path.join('.')
      : (i.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    return where ? `${where}: ${i.message ?? 'invalid'}` : (i.message ?? 'invalid');
  });
}

async function toError(res: Response): Promise<ApiError> {
  let env: ErrorEnvelope | null = null;
  try {
    env = (await res.json()) as ErrorEnvelope;
  } catch {
    /* not JSON: a proxy or network error page */
  }
  if (env?.error) {
    return new ApiError(
      res.status,
      env.error.code,
      env.error.message,
      env.error.requestId,
      env.error.details,
    );
  }
  return new ApiError(
    res.status,
    'internal',
    `the server answered ${res.status}`,
    res.headers.get('x-request-id'),
  );
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Raw body (a file) sent as is. */
  raw?: Blob;
  /** Don't treat a 401 as a lost session (the sign-in page's own calls). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'unavailable', 'Accord cannot be reached: check your connection', null);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !opts.quiet401 && SIGNED_OUT.has(err.code)) onSignedOut?.(err.code);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** Uploads a file with progress (fetch has no upload progress; XMLHttpRequest does). */
export function upload<T>(path: string, file: Blob, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'unavailable', 'the upload did not reach Accord', null));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* empty */
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const env = (body as ErrorEnvelope | null)?.error;
      if (xhr.status === 401 && env && SIGNED_OUT.has(env.code)) onSignedOut?.(env.code);
      reject(
        env
          ? new ApiError(xhr.status, env.code, env.message, env.requestId, env.details)
          : new ApiError(xhr.status, 'internal', `the server answered ${xhr.status}`, null),
      );
    };
    xhr.send(file);
  });
}

/** Runs fn over items with at most `limit` at a time (per-customer reads without flooding). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const qs = (params: Record<string, string | number | boolean | undefined | null>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

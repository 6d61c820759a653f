import { stepAt, totpCode } from '../../src/modules/auth/totp.ts';
import type { TestUser } from './factories.ts';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** Next unused TOTP code for the user (within the server's one-step drift window). */
export function nextCode(user: TestUser): string {
  const t = Date.now();
  const now = stepAt(t);
  // The previous step is only used when the request cannot cross into the step after it
  // before the server checks it (the server accepts one step either side of its own).
  const earliest = stepAt(t + 5_000) === now ? now - 1 : now;
  const step = Math.max(earliest, user.lastStep + 1);
  if (step > now + 1) throw new Error('test signed the same user in more than three times in 30 s');
  user.lastStep = step;
  return totpCode(user.totpSecret!, step);
}

/** An HTTP client with a cookie jar of one session cookie and the session's CSRF token. */
export class ApiClient {
  cookie: string | null = null;
  csrf: string | null = null;
  bearer: string | null = null;

  constructor(readonly baseUrl: string) {}

  static withToken(baseUrl: string, token: string): ApiClient {
    const c = new ApiClient(baseUrl);
    c.bearer = token;
    return c;
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.csrf && opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const m = /accord_session=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[1] ? `accord_session=${m[1]}` : null;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    const out = { status: res.status, body: parsed as T, headers: res.headers, text };
    const b = parsed as { csrfToken?: string; session?: { csrfToken?: string } } | null;
    if (b && typeof b === 'object') this.csrf = b.csrfToken ?? b.session?.csrfToken ?? this.csrf;
    return out;
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body ?? {});
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Signs in (with a fresh TOTP code when the user has MFA) and checks it worked. */
  async login(user: TestUser): Promise<this> {
    const res = await this.post('/api/v1/auth/login', {
      email: user.email,
      password: user.password,
      ...(user.totpSecret ? { code: nextCode(user) } : {}),
    });
    if (res.status !== 200 || res.body.status !== 'authenticated')
      throw new Error(`sign-in failed for ${user.email}: ${res.status} ${res.text}`);
    return this;
  }
}

export async function signIn(baseUrl: string, user: TestUser): Promise<ApiClient> {
  return new ApiClient(baseUrl).login(user);
}

// api.ts: the one way the console talks to the server: same-origin fetch carrying the
// session cookie, the CSRF token on every change, JSON in and out, and problem+json
// (RFC 9457) turned into an ApiError whose message a page can show as it is.

export interface FieldError {
  field: string;
  detail: string;
  line?: number; /* where, for errors in an uploaded file */
  column?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
  /** The problem type's last segment: "mfa-required", "validation", ... */
  get slug(): string {
    return this.type.split('/').pop() ?? '';
  }
}

let csrf = '';
/** The session's CSRF token, sent as X-CSRF-Token with every change (kept in memory only). */
export function setCsrf(token: string): void {
  csrf = token;
}

/** Calls the API: body goes as JSON, or as it is when contentType is given (a CSV file). */
export async function api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = contentType ?? 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : contentType ? (body as BodyInit) : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { type?: string; title?: string; detail?: string; errors?: FieldError[] };
    throw new ApiError(
      res.status,
      p.type ?? `http-${res.status}`,
      p.detail ?? p.title ?? `The server answered ${res.status}.`,
      Array.isArray(p.errors) ? p.errors : [],
    );
  }
  return data as T;
}

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

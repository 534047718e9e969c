// session.ts: the signed-in session (who, roles, permissions, CSRF token) as the server
// reports it, the calls that start and end one, and the permission helper pages use to
// show only what the caller may do (the server enforces it anyway).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, ApiError, setCsrf } from './api';

export interface Session {
  user: { id: number; name: string; display_name: string; email: string };
  roles: string[];
  permissions: string[];
  csrf_token: string;
  expires: string;
  idle_timeout_s: number;
  mfa_enabled: boolean;
  mfa_enrollment_required: boolean;
}

export interface AuthMethods {
  password: boolean;
  ldap: boolean;
  oidc: { label: string; start: string } | null;
}

function adopt(s: Session): Session {
  setCsrf(s.csrf_token);
  return s;
}

/** The current session, or null when signed out (the cookie is HttpOnly: ask the server). */
export async function loadSession(): Promise<Session | null> {
  try {
    return adopt(await api<Session>('GET', '/api/v1/auth/session'));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) return null;
    throw e;
  }
}

export async function signIn(name: string, password: string, second?: { code?: string; recovery_code?: string }): Promise<Session> {
  return adopt(await api<Session>('POST', '/api/v1/auth/login', { name, password, ...second }));
}

export async function signOut(): Promise<void> {
  await api<void>('POST', '/api/v1/auth/logout');
  setCsrf('');
}

export interface SessionState {
  session: Session;
  setSession: (s: Session | null) => void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Whether the session holds a permission ("doors.control", ...). */
export function can(s: Session | null, perm: string): boolean {
  return s !== null && s.permissions.includes(perm);
}

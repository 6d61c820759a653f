import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ROLE_PERMISSIONS, type Permission } from '@accord/contracts';
import { api, ApiError, onSessionLost, setCsrfToken } from './api/client.ts';
import type { Membership, SessionInfo } from './api/types.ts';

export interface SessionState {
  /** undefined while the first probe runs; null when signed out. */
  session: SessionInfo | null | undefined;
  /** Why the user was signed out (shown on the sign-in page). */
  lostReason: string | null;
  membership: Membership | null;
  can: (p: Permission) => boolean;
  setSession: (s: SessionInfo | null) => void;
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
  switchOrg: (orgId: string) => Promise<void>;
}

const Ctx = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSessionState] = useState<SessionInfo | null | undefined>(undefined);
  const [lostReason, setLostReason] = useState<string | null>(null);

  const setSession = useCallback((s: SessionInfo | null) => {
    setCsrfToken(s?.csrfToken ?? null);
    setSessionState(s);
    if (s) setLostReason(null);
  }, []);

  const refresh = useCallback(async () => {
    try {
      setSession(await api<SessionInfo>('/auth/session', { quiet401: true }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else throw e;
    }
  }, [setSession]);

  useEffect(() => {
    onSessionLost((code) => {
      setLostReason(
        code === 'session_expired'
          ? 'Your session expired. Sign in again to carry on where you were.'
          : 'You are signed out. Sign in to carry on.',
      );
      setSession(null);
    });
    refresh().catch(() => setSession(null));
  }, [refresh, setSession]);

  const membership = useMemo(
    () => session?.memberships.find((m) => m.orgId === session.activeOrgId) ?? null,
    [session],
  );
  const can = useCallback(
    (p: Permission) => (membership ? ROLE_PERMISSIONS[membership.role].includes(p) : false),
    [membership],
  );
  const signOut = useCallback(async () => {
    try {
      await api('/auth/logout', { method: 'POST', quiet401: true });
    } finally {
      setLostReason(null);
      setSession(null);
    }
  }, [setSession]);
  const switchOrg = useCallback(
    async (orgId: string) => setSession(await api<SessionInfo>('/auth/switch-org', { body: { orgId } })),
    [setSession],
  );

  const value = useMemo(
    () => ({ session, lostReason, membership, can, setSession, refresh, signOut, switchOrg }),
    [session, lostReason, membership, can, setSession, refresh, signOut, switchOrg],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** The signed-in membership (pages under the layout are only shown with one). */
export function useMember(): Membership & { can: (p: Permission) => boolean } {
  const { membership, can } = useSession();
  if (!membership) throw new Error('no membership');
  return { ...membership, can };
}

import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useAction } from '../api/use-api.ts';
import type { SessionInfo } from '../api/types.ts';
import { useSession } from '../session.tsx';
import { ErrorBox, Field } from '../components/ui.tsx';

/** Only same-app paths are followed after sign-in (never another origin). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const { session, setSession, lostReason } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');

  const login = useAction(async () => {
    const s = await api<SessionInfo>('/auth/login', { body: { email, password }, quiet401: true });
    setSession(s);
    if (s.status === 'authenticated') navigate(next, { replace: true });
    if (s.status === 'mfa_enrollment_required') navigate(`/mfa/enrol?next=${encodeURIComponent(next)}`);
  });
  const verify = useAction(async () => {
    const s = await api<SessionInfo>('/auth/mfa/verify', {
      body: { code: code.replace(/\s/g, '') },
      quiet401: true,
    });
    setSession(s);
    navigate(next, { replace: true });
  });

  if (session?.status === 'authenticated' && session.activeOrgId) return <Navigate to={next} replace />;
  if (session?.status === 'mfa_enrollment_required')
    return <Navigate to={`/mfa/enrol?next=${encodeURIComponent(next)}`} replace />;
  const needCode = session?.status === 'mfa_required';

  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand-line">
          <img src="/favicon.svg" alt="" width="28" height="28" /> Accord
        </p>
        <h1>{needCode ? 'Enter your authentication code' : 'Sign in'}</h1>
        {lostReason && !needCode && (
          <p className="notice" role="status">
            {lostReason}
          </p>
        )}
        {!needCode ? (
          <form
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              void login.run();
            }}
          >
            <Field label="E-mail" id="email">
              <input
                id="email"
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </Field>
            <Field label="Password" id="password">
              <input
                id="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </Field>
            {login.error && <ErrorBox error={login.error} />}
            <button type="submit" className="primary" disabled={login.busy}>
              {login.busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        ) : (
          <form
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              void verify.run();
            }}
          >
            <p>
              Signed in as {session?.user.email}. Open your authenticator app, or use one of your recovery
              codes.
            </p>
            <Field label="Authentication code" id="code" hint="Six digits from your app, or a recovery code">
              <input
                id="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                minLength={6}
                maxLength={32}
                value={code}
                onChange={(e) => setCode(e.target.value)}
                aria-describedby="code-hint"
              />
            </Field>
            {verify.error && <ErrorBox error={verify.error} />}
            <button type="submit" className="primary" disabled={verify.busy}>
              {verify.busy ? 'Checking…' : 'Continue'}
            </button>
            <button type="button" className="link-button" onClick={() => setSession(null)}>
              Use another account
            </button>
          </form>
        )}
      </div>
    </main>
  );
}

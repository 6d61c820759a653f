import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import QRCode from 'qrcode';
import { api } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type { MfaEnrollment, SessionInfo } from '../api/types.ts';
import { useSession } from '../session.tsx';
import { ErrorBox, Field, Loading } from '../components/ui.tsx';
import { safeNext } from './sign-in.tsx';

/** MFA enrolment: a QR code drawn in the browser (the secret never leaves Accord's origin), a
 * first code to confirm, then the ten recovery codes shown this once. */
export function EnrolPage() {
  const { session, setSession } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const [code, setCode] = useState('');
  const [qr, setQr] = useState<string | null>(null);
  const [recovery, setRecovery] = useState<{ codes: string[]; session: SessionInfo } | null>(null);
  const needsEnrol = session?.status === 'mfa_enrollment_required';
  const enrolment = useLoad<MfaEnrollment>(needsEnrol ? 'enrol' : null, () =>
    api<MfaEnrollment>('/auth/mfa/enroll', { method: 'POST' }),
  );
  useEffect(() => {
    if (enrolment.data)
      void QRCode.toDataURL(enrolment.data.otpauthUri, { margin: 1, width: 220 }).then(setQr);
  }, [enrolment.data]);

  const confirm = useAction(async () => {
    const r = await api<{ recoveryCodes: string[]; session: SessionInfo }>('/auth/mfa/enroll/confirm', {
      body: { code: code.replace(/\s/g, '') },
    });
    setRecovery({ codes: r.recoveryCodes, session: r.session });
  });

  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  if (!needsEnrol && !recovery) return <Navigate to={next} replace />;

  return (
    <main id="main" className="auth-page">
      <div className="auth-card wide">
        <h1>{recovery ? 'Save your recovery codes' : 'Set up your authenticator app'}</h1>
        {recovery ? (
          <>
            <p>
              Each code signs you in once if you lose your authenticator. They are shown only now: store them
              somewhere safe.
            </p>
            <ol className="recovery-codes" aria-label="Recovery codes">
              {recovery.codes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ol>
            <button
              type="button"
              className="primary"
              onClick={() => {
                setSession(recovery.session);
                navigate(next, { replace: true });
              }}
            >
              I have saved them: continue
            </button>
          </>
        ) : (
          <>
            <p>
              Your role requires multi-factor authentication. Scan the code with an authenticator app, then
              enter the code it shows.
            </p>
            {enrolment.error && <ErrorBox error={enrolment.error} retry={enrolment.reload} />}
            {!enrolment.data && !enrolment.error && <Loading what="your enrolment" />}
            {enrolment.data && (
              <div className="enrol">
                {qr ? (
                  <img src={qr} alt="QR code of your authenticator secret" width="220" height="220" />
                ) : (
                  <Loading what="the QR code" />
                )}
                <details>
                  <summary>Can't scan? Enter the key by hand</summary>
                  <code className="secret" data-testid="totp-secret">
                    {enrolment.data.secret}
                  </code>
                </details>
              </div>
            )}
            <form
              onSubmit={(e: FormEvent) => {
                e.preventDefault();
                void confirm.run();
              }}
            >
              <Field label="Code from your app" id="enrol-code">
                <input
                  id="enrol-code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  required
                  minLength={6}
                  maxLength={8}
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              </Field>
              {confirm.error && <ErrorBox error={confirm.error} />}
              <button type="submit" className="primary" disabled={confirm.busy || !enrolment.data}>
                Confirm
              </button>
            </form>
          </>
        )}
      </div>
    </main>
  );
}

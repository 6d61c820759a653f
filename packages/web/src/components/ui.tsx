import { useEffect, useRef, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { issueLines, type ApiError } from '../api/client.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorBox({ error, retry }: { error: ApiError; retry?: () => void }) {
  const lines = issueLines(error.details);
  return (
    <div className="state error" role="alert">
      <p>
        <strong>{error.message}</strong>
      </p>
      {lines.length > 0 && (
        <ul>
          {lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
      {error.requestId && <p className="muted small">Request id: {error.requestId}</p>}
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Loading / error / data, with the not-found page for another tenant's (or a missing) object. */
export function Async<T>({
  state,
  what,
  children,
}: {
  state: { data: T | undefined; error: ApiError | null; loading: boolean; reload: () => void };
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (state.error?.status === 404) return <NotFound />;
  if (state.error) return <ErrorBox error={state.error} retry={state.reload} />;
  if (state.data === undefined) return <Loading what={what} />;
  return <>{children(state.data)}</>;
}

export function NotFound() {
  return (
    <section className="not-found" aria-labelledby="nf-title">
      <h1 id="nf-title">Not found</h1>
      <p>There is nothing here, or it is not yours to see.</p>
      <p>
        <Link to="/">Back to the start page</Link>
      </p>
    </section>
  );
}

export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Accord`;
  }, [title]);
  return (
    <header className="page-title">
      <h1 ref={ref} tabIndex={-1}>
        {title}
      </h1>
      {children && <div className="actions">{children}</div>}
    </header>
  );
}

const STATUS_LABEL: Record<string, string> = {
  pass: 'Met',
  fail: 'Not met',
  partial: 'Partly met',
  unknown: 'Unknown',
  error: 'Error',
};
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function LevelBadge({ level }: { level: string }) {
  return <span className={`badge level-${level}`}>{level}</span>;
}

export function Badge({ children, tone = 'neutral' }: { children: ReactNode; tone?: string }) {
  return <span className={`badge tone-${tone}`}>{children}</span>;
}

export const fmtTime = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
export const fmtDay = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' }) : '—';

/** A value of any shape as readable text (observed / expected, parameters). */
export function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map(show).join(', ') || '(none)';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

export function KeyValues({ values }: { values: Record<string, unknown> }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <p className="muted">—</p>;
  return (
    <dl className="kv">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{show(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Field({
  label,
  id,
  hint,
  error,
  children,
}: {
  label: string;
  id: string;
  hint?: string;
  error?: string | null;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

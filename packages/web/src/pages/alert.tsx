import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type { AlertDetail } from '../api/types.ts';
import { Async, Empty, ErrorBox, Field, fmtTime, LevelBadge, PageTitle, show } from '../components/ui.tsx';
import { OrgTabs } from '../components/layout.tsx';
import { useMember } from '../session.tsx';

const ACTIONS = [
  { status: 'acknowledged', label: 'Acknowledge', needsReason: false },
  { status: 'resolved', label: 'Resolve', needsReason: false },
  { status: 'false_positive', label: 'False positive', needsReason: true },
] as const;

export function AlertPage() {
  const { orgId = '', alertId = '' } = useParams();
  const m = useMember();
  const state = useLoad(`alert:${orgId}:${alertId}`, (s) =>
    api<AlertDetail>(`/orgs/${orgId}/alerts/${alertId}`, { signal: s }),
  );
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const act = useAction(async (status: string) => {
    await api(`/orgs/${orgId}/alerts/${alertId}/status`, {
      body: { status, ...(reason.trim() ? { reason: reason.trim() } : {}) },
    });
    setReason('');
    state.reload();
  });
  return (
    <Async state={state} what="the alert">
      {(a) => (
        <>
          <OrgTabs orgId={orgId} />
          <PageTitle title={a.ruleTitle}>
            <Link to={`/orgs/${orgId}/alerts`}>All alerts</Link>
          </PageTitle>
          <section className="card">
            <p>
              <LevelBadge level={a.level} />{' '}
              <span className="badge tone-info" data-testid="alert-status">
                {a.status.replace('_', ' ')}
              </span>
            </p>
            <p>{a.summary}</p>
            <p className="muted small">
              {a.eventCount} events from {fmtTime(a.firstSeen)} to {fmtTime(a.lastSeen)} · rule {a.ruleId}
            </p>
            <dl className="kv">
              {Object.entries(a.groupValues).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{v ?? '—'}</dd>
                </div>
              ))}
            </dl>
          </section>
          {m.can('alerts:manage') && (
            <section className="card" aria-labelledby="triage-title">
              <h2 id="triage-title">Triage</h2>
              <Field
                label="Reason"
                id="triage-reason"
                hint="Required for a false positive; recorded in the alert's history"
                error={reasonError}
              >
                <textarea
                  id="triage-reason"
                  value={reason}
                  maxLength={2000}
                  onChange={(e) => setReason(e.target.value)}
                />
              </Field>
              <div className="actions">
                {ACTIONS.filter((x) => x.status !== a.status).map((x) => (
                  <button
                    key={x.status}
                    type="button"
                    disabled={act.busy}
                    onClick={() => {
                      if (x.needsReason && !reason.trim()) {
                        setReasonError('say why this is a false positive');
                        return;
                      }
                      setReasonError(null);
                      void act.run(x.status);
                    }}
                  >
                    {x.label}
                  </button>
                ))}
              </div>
              {act.error && <ErrorBox error={act.error} />}
            </section>
          )}
          <section className="card" aria-labelledby="evidence-title">
            <h2 id="evidence-title">Evidence events</h2>
            {a.evidence.length === 0 ? (
              <Empty>No events kept with this alert.</Empty>
            ) : (
              <ul className="plain">
                {a.evidence.map((e) => (
                  <li key={`${e.batchId}:${e.batchPos}`}>
                    <details>
                      <summary>
                        {fmtTime(e.time)} ·{' '}
                        {e.event
                          ? `${show(e.event.activity)} ${show(e.event.outcome)} by ${show(e.event.user)} from ${show(e.event.srcIp)}`
                          : 'event no longer held'}
                      </summary>
                      {e.event && (
                        <pre className="raw">
                          {typeof e.event.raw === 'string' ? e.event.raw : JSON.stringify(e.event, null, 2)}
                        </pre>
                      )}
                    </details>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card" aria-labelledby="ahist-title">
            <h2 id="ahist-title">History</h2>
            <ul className="plain small">
              {a.history.map((h) => (
                <li key={h.at + h.toStatus}>
                  {fmtTime(h.at)} · {h.actor}: {h.fromStatus ?? 'new'} → {h.toStatus}
                  {h.reason ? ` (“${h.reason}”)` : ''}
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </Async>
  );
}

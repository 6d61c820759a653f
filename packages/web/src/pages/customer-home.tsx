import { useEffect, useMemo } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, qs } from '../api/client.ts';
import { useLoad } from '../api/use-api.ts';
import { loadTrend } from '../api/history.ts';
import type { Agreement, AlertPage, AuditEntry, ControlStatus, EventPage, Org } from '../api/types.ts';
import { Async, Empty, fmtTime, LevelBadge, PageTitle, StatusBadge } from '../components/ui.tsx';
import { ChartView } from '../components/chart.tsx';
import { OrgTabs } from '../components/layout.tsx';
import { useSession } from '../session.tsx';

const lastVisitKey = (orgId: string) => `accord:lastVisit:${orgId}`;

/** The newest audit entries: the trail is read forward by sequence, so page to its end (at most
 * 10 pages of 500; a longer trail shows the entries of its first 5,000). */
async function latestAudit(orgId: string, signal: AbortSignal): Promise<AuditEntry[]> {
  let after = 0;
  let last: AuditEntry[] = [];
  for (let i = 0; i < 10; i++) {
    const page = await api<AuditEntry[]>(
      `/orgs/${orgId}/audit${qs({ afterSeq: after || undefined, limit: 500 })}`,
      {
        signal,
      },
    );
    if (page.length === 0) break;
    last = [...last, ...page].slice(-500);
    after = page[page.length - 1]!.seq;
    if (page.length < 500) break;
  }
  return last;
}

export function CustomerHomePage() {
  const { orgId = '' } = useParams();
  const org = useLoad(`org:${orgId}`, (s) => api<Org>(`/orgs/${orgId}`, { signal: s }));
  // The previous visit's time is read once, then this visit is remembered for next time.
  const since = useMemo(() => localStorage.getItem(lastVisitKey(orgId)), [orgId]);
  useEffect(() => {
    if (org.data) localStorage.setItem(lastVisitKey(orgId), new Date().toISOString());
  }, [org.data, orgId]);

  return (
    <Async state={org} what="the organisation">
      {(o) => (
        <>
          <OrgTabs orgId={orgId} name={o.name} />
          <PageTitle title={o.name} />
          <AgreementHealth orgId={orgId} since={since} />
          <div className="grid-2">
            <OpenAlerts orgId={orgId} />
            <MspActivity orgId={orgId} since={since} />
          </div>
        </>
      )}
    </Async>
  );
}

function AgreementHealth({ orgId, since }: { orgId: string; since: string | null }) {
  const state = useLoad(`health:${orgId}`, async (signal) => {
    const list = await api<Agreement[]>('/agreements', { signal });
    const mine = list.filter((a) => a.customerOrgId === orgId);
    const agreement = mine.find((a) => a.activeVersion !== null) ?? mine[0] ?? null;
    const status =
      agreement && agreement.activeVersion !== null
        ? await api<ControlStatus[]>(`/agreements/${agreement.id}/verification`, { signal })
        : [];
    return { agreement, status };
  });
  return (
    <Async state={state} what="the agreement">
      {({ agreement, status }) =>
        !agreement ? (
          <Empty>There is no agreement with this organisation yet.</Empty>
        ) : (
          <section className="card" aria-labelledby="health-title">
            <header className="row-between">
              <h2 id="health-title">
                <Link to={`/agreements/${agreement.id}`}>{agreement.title}</Link>
              </h2>
              <span className="badge tone-info">{agreement.status.replace(/_/g, ' ')}</span>
            </header>
            {status.length === 0 ? (
              <Empty>No version is active yet, so nothing is verified.</Empty>
            ) : (
              <Health agreementId={agreement.id} status={status} since={since} />
            )}
          </section>
        )
      }
    </Async>
  );
}

function Health({
  agreementId,
  status,
  since,
}: {
  agreementId: string;
  status: ControlStatus[];
  since: string | null;
}) {
  const met = status.filter((c) => c.status === 'pass').length;
  const failing = status.filter((c) => c.status === 'fail');
  const trend = useLoad(`trend:${agreementId}`, (s) => loadTrend(agreementId, status, 30, s));
  const changed = status
    .filter((c) => c.changedAt && (!since || c.changedAt > since))
    .sort((a, b) => (a.changedAt! < b.changedAt! ? 1 : -1));
  return (
    <>
      <div className="stats">
        <p className="stat">
          <span className="stat-value" data-testid="controls-met">
            {met} of {status.length}
          </span>
          <span className="stat-label">controls met</span>
        </p>
        <p className="stat">
          <span className="stat-value">{failing.length}</span>
          <span className="stat-label">not met</span>
        </p>
        <p className="stat">
          <span className="stat-value">
            {status.filter((c) => c.status === 'unknown' || c.status === 'error').length}
          </span>
          <span className="stat-label">unknown</span>
        </p>
      </div>
      <h3>Controls met over 30 days</h3>
      <Async state={trend} what="the trend">
        {(t) => (
          <ChartView
            type="line"
            labels={t.days.map((d) => d.slice(5))}
            series={[{ label: 'Controls met', data: t.met, color: '#15803d' }]}
            label="Controls met per day"
            summary={`From ${t.met[0]} to ${t.met[t.met.length - 1]} controls met of ${status.length}`}
            yMax={status.length}
          />
        )}
      </Async>
      <h3>{since ? `Changed since your last visit (${fmtTime(since)})` : 'Recent changes'}</h3>
      {changed.length === 0 ? (
        <Empty>No control changed status since then.</Empty>
      ) : (
        <ul className="plain">
          {changed.slice(0, 12).map((c) => (
            <li key={c.controlId}>
              <Link to={`/agreements/${agreementId}/controls/${c.controlId}`}>{c.controlId}</Link>{' '}
              <StatusBadge status={c.status} /> <span className="muted small">{fmtTime(c.changedAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function OpenAlerts({ orgId }: { orgId: string }) {
  const { can } = useSession();
  const alerts = useLoad(can('alerts:read') ? `open-alerts:${orgId}` : null, (s) =>
    api<AlertPage>(`/orgs/${orgId}/alerts${qs({ status: 'open', limit: 10 })}`, { signal: s }),
  );
  if (!can('alerts:read')) return null;
  return (
    <section className="card" aria-labelledby="oa-title">
      <h2 id="oa-title">Open alerts</h2>
      <Async state={alerts} what="alerts">
        {(p) =>
          p.alerts.length === 0 ? (
            <Empty>No open alerts.</Empty>
          ) : (
            <ul className="plain">
              {p.alerts.map((a) => (
                <li key={a.id}>
                  <LevelBadge level={a.level} />{' '}
                  <Link to={`/orgs/${orgId}/alerts/${a.id}`}>{a.ruleTitle}</Link>
                  <span className="muted small"> · {fmtTime(a.lastSeen)}</span>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}

/** The MSP in this environment: its accounts' sign-ins (from the logs) and its actions in Accord
 * (audit entries by people of another organisation). */
function MspActivity({ orgId, since }: { orgId: string; since: string | null }) {
  const { can } = useSession();
  const state = useLoad(`msp-activity:${orgId}`, async (signal) => {
    const [events, audit] = await Promise.all([
      can('logs:read')
        ? api<EventPage>(`/orgs/${orgId}/events${qs({ isMsp: 'true', limit: 8 })}`, { signal })
        : Promise.resolve({ events: [], nextCursor: null }),
      can('audit:read') ? latestAudit(orgId, signal) : Promise.resolve([] as AuditEntry[]),
    ]);
    const actions = audit
      .filter((e) => e.actor.orgId && e.actor.orgId !== orgId)
      .slice(-8)
      .reverse();
    return { events: events.events, actions };
  });
  return (
    <section className="card" aria-labelledby="msp-title">
      <h2 id="msp-title">MSP activity</h2>
      <Async state={state} what="MSP activity">
        {({ events, actions }) => (
          <>
            <h3>MSP-account sign-ins and actions in your logs</h3>
            {events.length === 0 ? (
              <Empty>No MSP-account events.</Empty>
            ) : (
              <ul className="plain">
                {events.map((e) => (
                  <li key={e.id}>
                    <span className={e.outcome === 'failure' ? 'warn' : ''}>{e.activity}</span> by{' '}
                    {e.user ?? 'unknown'}{' '}
                    <span className="muted small">
                      {e.srcIp ?? ''} · {fmtTime(e.time)}
                      {since && e.time > since ? ' · new' : ''}
                    </span>
                  </li>
                ))}
              </ul>
            )}
            <h3>MSP actions in Accord</h3>
            {actions.length === 0 ? (
              <Empty>No actions by the MSP.</Empty>
            ) : (
              <ul className="plain">
                {actions.map((a) => (
                  <li key={a.seq}>
                    {a.action}{' '}
                    <span className="muted small">
                      by {a.actor.label} · {fmtTime(a.at)}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Async>
    </section>
  );
}

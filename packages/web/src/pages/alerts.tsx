import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api, qs } from '../api/client.ts';
import { useLoad } from '../api/use-api.ts';
import type { AlertPage, Org } from '../api/types.ts';
import { Async, Empty, fmtTime, LevelBadge, PageTitle } from '../components/ui.tsx';
import { OrgTabs } from '../components/layout.tsx';

const STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'];
const LEVELS = ['critical', 'high', 'medium', 'low', 'informational'];

export function AlertsPage() {
  const { orgId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'open';
  const level = params.get('level') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const state = useLoad(`alerts:${orgId}:${status}:${level}:${cursor ?? ''}`, async (signal) => {
    const [org, page] = await Promise.all([
      api<Org>(`/orgs/${orgId}`, { signal }),
      api<AlertPage>(
        `/orgs/${orgId}/alerts${qs({ status: status || undefined, level: level || undefined, limit: 50, cursor })}`,
        { signal },
      ),
    ]);
    return { org, page };
  });
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v);
    else p.delete(k);
    setCursors([]);
    setParams(p, { replace: true });
  };
  return (
    <Async state={state} what="alerts">
      {({ org, page }) => (
        <>
          <OrgTabs orgId={orgId} name={org.name} />
          <PageTitle title={`Alerts · ${org.name}`} />
          <div className="filters" role="search">
            <label>
              Status
              <select value={status} onChange={(e) => set('status', e.target.value)}>
                <option value="">any</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s.replace('_', ' ')}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Severity
              <select value={level} onChange={(e) => set('level', e.target.value)}>
                <option value="">any</option>
                {LEVELS.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
          </div>
          {page.alerts.length === 0 ? (
            <Empty>No alerts match.</Empty>
          ) : (
            <div className="table-scroll card">
              <table data-testid="alerts-table">
                <thead>
                  <tr>
                    <th scope="col">Severity</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Status</th>
                    <th scope="col">Events</th>
                    <th scope="col">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {page.alerts.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <LevelBadge level={a.level} />
                      </td>
                      <th scope="row">
                        <Link to={`/orgs/${orgId}/alerts/${a.id}`}>{a.ruleTitle}</Link>
                        <div className="muted small">{a.summary}</div>
                      </th>
                      <td>{a.status.replace('_', ' ')}</td>
                      <td className="num">{a.eventCount}</td>
                      <td>{fmtTime(a.lastSeen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="actions">
            {cursors.length > 0 && (
              <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))}>
                Previous page
              </button>
            )}
            {page.nextCursor && (
              <button type="button" onClick={() => setCursors((c) => [...c, page.nextCursor!])}>
                Next page
              </button>
            )}
          </div>
        </>
      )}
    </Async>
  );
}

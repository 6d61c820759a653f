import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { api, qs } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type { Coverage, LogsVerifyResult } from '../api/types.ts';
import { Async, Empty, ErrorBox, fmtTime, PageTitle } from '../components/ui.tsx';
import { OrgTabs } from '../components/layout.tsx';

export function SourcesPage() {
  const { orgId = '' } = useParams();
  const cov = useLoad(`coverage:${orgId}`, (s) =>
    api<Coverage>(`/orgs/${orgId}/logs/coverage${qs({ days: 14 })}`, { signal: s }),
  );
  const [result, setResult] = useState<LogsVerifyResult | null>(null);
  const verify = useAction(async () => setResult(await api<LogsVerifyResult>(`/orgs/${orgId}/logs/verify`)));
  return (
    <>
      <OrgTabs orgId={orgId} />
      <PageTitle title="Log sources">
        <button type="button" onClick={() => void verify.run()} disabled={verify.busy}>
          {verify.busy ? 'Verifying…' : 'Verify seals'}
        </button>
      </PageTitle>
      {result && (
        <p className={`notice ${result.ok ? 'ok' : 'bad'}`} role="status" data-testid="seal-result">
          {result.ok
            ? `Seal chain intact: ${result.batches} batches, ${result.events.toLocaleString()} events recomputed.`
            : `Seal chain broken at batch ${result.firstBrokenSeq}: ${result.reason}`}
        </p>
      )}
      {verify.error && <ErrorBox error={verify.error} />}
      <Async state={cov} what="coverage">
        {(c) => (
          <>
            <section className="card stats">
              <p className="stat">
                <span className="stat-value">
                  {c.tenant.daysHeld} / {c.tenant.requiredDays}
                </span>
                <span className="stat-label">days held / agreed</span>
              </p>
              <p className="stat">
                <span className="stat-value">{c.sources.filter((s) => s.silent).length}</span>
                <span className="stat-label">silent sources</span>
              </p>
            </section>
            {c.sources.length === 0 ? (
              <Empty>No log sources.</Empty>
            ) : (
              <div className="table-scroll card">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Source</th>
                      <th scope="col">State</th>
                      <th scope="col">Events held</th>
                      <th scope="col">Oldest / newest</th>
                      <th scope="col">Gap days (14 d)</th>
                      <th scope="col">Last delivery</th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.sources.map((s) => (
                      <tr key={s.sourceId}>
                        <th scope="row">
                          {s.name} <span className="muted small">{s.kind}</span>
                        </th>
                        <td>
                          {s.disabled ? (
                            <span className="badge tone-neutral">disabled</span>
                          ) : s.silent ? (
                            <span className="badge status-fail">silent</span>
                          ) : (
                            <span className="badge status-pass">receiving</span>
                          )}
                        </td>
                        <td className="num">{s.eventsHeld.toLocaleString()}</td>
                        <td className="small">
                          {fmtTime(s.oldestEvent)} – {fmtTime(s.newestEvent)}
                        </td>
                        <td className="small">
                          {s.gapDays === null
                            ? 'n/a'
                            : s.gapDays.length === 0
                              ? 'none'
                              : s.gapDays.join(', ')}
                        </td>
                        <td className="small">{fmtTime(s.lastReceivedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Async>
    </>
  );
}

import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { api, qs } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type { AuditEntry, AuditVerifyResult } from '../api/types.ts';
import { Async, Empty, ErrorBox, fmtTime, PageTitle } from '../components/ui.tsx';
import { OrgTabs } from '../components/layout.tsx';

const PAGE = 200;

export function AuditPage() {
  const { orgId = '' } = useParams();
  const [afterSeq, setAfterSeq] = useState<number[]>([0]);
  const after = afterSeq[afterSeq.length - 1]!;
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [target, setTarget] = useState('');
  const state = useLoad(`audit:${orgId}:${after}`, (s) =>
    api<AuditEntry[]>(`/orgs/${orgId}/audit${qs({ afterSeq: after || undefined, limit: PAGE })}`, {
      signal: s,
    }),
  );
  const [result, setResult] = useState<AuditVerifyResult | null>(null);
  const verify = useAction(async () =>
    setResult(await api<AuditVerifyResult>(`/orgs/${orgId}/audit/verify`)),
  );
  return (
    <>
      <OrgTabs orgId={orgId} />
      <PageTitle title="Audit trail">
        <button type="button" onClick={() => void verify.run()} disabled={verify.busy}>
          {verify.busy ? 'Verifying…' : 'Verify chain'}
        </button>
      </PageTitle>
      {result && (
        <p className={`notice ${result.ok ? 'ok' : 'bad'}`} role="status" data-testid="chain-result">
          {result.ok
            ? `Hash chain intact: ${result.entries} entries recomputed.`
            : `Hash chain broken at entry ${result.firstBrokenSeq}: ${result.reason}`}
        </p>
      )}
      {verify.error && <ErrorBox error={verify.error} />}
      <div className="filters" role="search">
        <label>
          Action
          <input
            type="search"
            value={action}
            onChange={(e) => setAction(e.target.value)}
            placeholder="e.g. agreement"
          />
        </label>
        <label>
          Who
          <input type="search" value={actor} onChange={(e) => setActor(e.target.value)} />
        </label>
        <label>
          Target
          <input type="search" value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
      </div>
      <Async state={state} what="the audit trail">
        {(entries) => {
          const has = (v: string | null, f: string) =>
            !f || (v ?? '').toLowerCase().includes(f.toLowerCase());
          const shown = entries.filter(
            (e) =>
              has(e.action, action) &&
              has(e.actor.label, actor) &&
              has(`${e.targetType} ${e.targetId ?? ''}`, target),
          );
          return (
            <>
              {shown.length === 0 ? (
                <Empty>No entries match on this page.</Empty>
              ) : (
                <div className="table-scroll card">
                  <table className="compact">
                    <thead>
                      <tr>
                        <th scope="col">#</th>
                        <th scope="col">When</th>
                        <th scope="col">Who</th>
                        <th scope="col">Action</th>
                        <th scope="col">Target</th>
                        <th scope="col">From</th>
                      </tr>
                    </thead>
                    <tbody>
                      {shown.map((e) => (
                        <tr key={e.seq}>
                          <td className="num">{e.seq}</td>
                          <td>{fmtTime(e.at)}</td>
                          <td>{e.actor.label}</td>
                          <th scope="row">{e.action}</th>
                          <td className="small">
                            {e.targetType} {e.targetId ? <code>{e.targetId.slice(0, 8)}</code> : ''}
                          </td>
                          <td className="small">{e.ip ?? '—'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <div className="actions">
                {afterSeq.length > 1 && (
                  <button type="button" onClick={() => setAfterSeq((s) => s.slice(0, -1))}>
                    Earlier entries
                  </button>
                )}
                {entries.length === PAGE && (
                  <button
                    type="button"
                    onClick={() => setAfterSeq((s) => [...s, entries[entries.length - 1]!.seq])}
                  >
                    Later entries
                  </button>
                )}
              </div>
            </>
          );
        }}
      </Async>
    </>
  );
}

import { Link } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useLoad } from '../api/use-api.ts';
import { STATUS_TEXT } from '../api/agreements.ts';
import type { Agreement, Relationship } from '../api/types.ts';
import { Async, Empty, fmtDay, PageTitle } from '../components/ui.tsx';
import { useMember } from '../session.tsx';

export function AgreementsPage() {
  const m = useMember();
  const state = useLoad('agreements', async (signal) => {
    const [agreements, rels] = await Promise.all([
      api<Agreement[]>('/agreements', { signal }),
      api<Relationship[]>('/relationships', { signal }).catch(() => [] as Relationship[]),
    ]);
    const names = new Map<string, string>();
    for (const r of rels) {
      names.set(r.customerOrgId, r.customerName);
      names.set(r.mspOrgId, r.mspName);
    }
    return { agreements, names };
  });
  const canDraft = m.orgKind === 'msp' && m.can('agreements:draft');
  return (
    <>
      <PageTitle title="Agreements">
        {canDraft && (
          <Link className="button primary" to="/agreements/new">
            New agreement
          </Link>
        )}
      </PageTitle>
      <Async state={state} what="agreements">
        {({ agreements, names }) =>
          agreements.length === 0 ? (
            <Empty>No agreements yet.{canDraft ? ' Draft one from the catalog.' : ''}</Empty>
          ) : (
            <div className="table-scroll card">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Agreement</th>
                    <th scope="col">{m.orgKind === 'msp' ? 'Customer' : 'MSP'}</th>
                    <th scope="col">Status</th>
                    <th scope="col">Active version</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {agreements.map((a) => (
                    <tr key={a.id}>
                      <th scope="row">
                        <Link to={`/agreements/${a.id}`}>{a.title}</Link>
                      </th>
                      <td>{names.get(m.orgKind === 'msp' ? a.customerOrgId : a.mspOrgId) ?? '—'}</td>
                      <td>
                        <span className={`badge agreement-${a.status}`}>
                          {STATUS_TEXT[a.status] ?? a.status}
                        </span>
                      </td>
                      <td>{a.activeVersion ?? '—'}</td>
                      <td>{fmtDay(a.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </>
  );
}

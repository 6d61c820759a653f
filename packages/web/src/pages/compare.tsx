import { Link, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useLoad } from '../api/use-api.ts';
import { versionPath } from '../api/agreements.ts';
import type { AgreementControl, AgreementVersion } from '../api/types.ts';
import { Async, Empty, ErrorBox, PageTitle, show } from '../components/ui.tsx';
import { ApiError } from '../api/client.ts';

export interface ControlDiff {
  controlId: string;
  title: string;
  change: 'added' | 'removed' | 'changed' | 'same';
  fields: { field: string; before: string; after: string }[];
}

/** What changed per control between two versions (fields compared as displayed). */
export function diffVersions(a: AgreementVersion, b: AgreementVersion): ControlDiff[] {
  const left = new Map(a.content.controls.map((c) => [c.controlId, c]));
  const right = new Map(b.content.controls.map((c) => [c.controlId, c]));
  const ids = [...new Set([...left.keys(), ...right.keys()])].sort();
  const flat = (c: AgreementControl | undefined): Record<string, string> =>
    c
      ? {
          owner: c.owner,
          verification: c.verification,
          cadence: c.cadence,
          'notification SLA (hours)': String(c.notificationSlaHours),
          ...Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, show(v)])),
        }
      : {};
  return ids.map((id) => {
    const l = left.get(id);
    const r = right.get(id);
    const fl = flat(l);
    const fr = flat(r);
    const fields = [...new Set([...Object.keys(fl), ...Object.keys(fr)])]
      .filter((f) => fl[f] !== fr[f])
      .map((f) => ({ field: f, before: fl[f] ?? '—', after: fr[f] ?? '—' }));
    const change = !l ? 'added' : !r ? 'removed' : fields.length ? 'changed' : 'same';
    return { controlId: id, title: (r ?? l)!.title, change, fields };
  });
}

export function ComparePage() {
  const { id = '' } = useParams();
  const [params] = useSearchParams();
  const a = Number(params.get('a'));
  const b = Number(params.get('b'));
  const state = useLoad(`compare:${id}:${a}:${b}`, async (signal) => {
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1)
      throw new ApiError(400, 'bad_request', 'choose two versions to compare (?a=1&b=2)', null);
    return Promise.all([
      api<AgreementVersion>(versionPath(id, a), { signal }),
      api<AgreementVersion>(versionPath(id, b), { signal }),
    ]);
  });
  return (
    <>
      <PageTitle title={`Compare versions ${a} and ${b}`}>
        <Link to={`/agreements/${id}`}>Back to the agreement</Link>
      </PageTitle>
      {state.error && state.error.status === 400 ? (
        <ErrorBox error={state.error} />
      ) : (
        <Async state={state} what="the versions">
          {([va, vb]) => <Diff a={va} b={vb} />}
        </Async>
      )}
    </>
  );
}

function Diff({ a, b }: { a: AgreementVersion; b: AgreementVersion }) {
  const diffs = diffVersions(a, b);
  const changed = diffs.filter((d) => d.change !== 'same');
  return (
    <>
      <div className="grid-2 compare-heads">
        {[a, b].map((v) => (
          <section key={v.version} className="card">
            <h2>
              Version {v.version} · {v.state}
            </h2>
            <p className="small">
              {v.content.controls.length} controls · title “{v.content.title}”
            </p>
            <p className="small">
              Digest <code className="digest">{v.digest ?? 'not yet fixed (draft)'}</code>
            </p>
          </section>
        ))}
      </div>
      <p aria-live="polite" data-testid="diff-summary">
        {changed.length === 0
          ? 'The two versions have the same controls and parameters.'
          : `${changed.length} controls differ: ${diffs.filter((d) => d.change === 'added').length} added, ${diffs.filter((d) => d.change === 'removed').length} removed, ${diffs.filter((d) => d.change === 'changed').length} changed.`}
      </p>
      {changed.length === 0 ? (
        <Empty>Nothing changed.</Empty>
      ) : (
        <div className="table-scroll card">
          <table className="diff">
            <thead>
              <tr>
                <th scope="col">Control</th>
                <th scope="col">Version {a.version}</th>
                <th scope="col">Version {b.version}</th>
              </tr>
            </thead>
            <tbody>
              {changed.map((d) => (
                <tr key={d.controlId} className={`diff-${d.change}`}>
                  <th scope="row">
                    {d.controlId} <span className="muted small">{d.title}</span>
                    <span className="badge tone-info">{d.change}</span>
                  </th>
                  <td>
                    {d.change === 'added' ? (
                      <em>not in this version</em>
                    ) : (
                      d.fields.map((f) => (
                        <div key={f.field}>
                          {f.field}: {f.before}
                        </div>
                      ))
                    )}
                  </td>
                  <td>
                    {d.change === 'removed' ? (
                      <em>not in this version</em>
                    ) : (
                      d.fields.map((f) => (
                        <div key={f.field}>
                          {f.field}: {f.after}
                        </div>
                      ))
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

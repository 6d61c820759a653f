import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import { loadVersions, STATUS_TEXT, versionPath } from '../api/agreements.ts';
import type { Agreement, AgreementVersion, ControlStatus } from '../api/types.ts';
import { Async, Empty, ErrorBox, Field, fmtTime, PageTitle, show, StatusBadge } from '../components/ui.tsx';
import { useMember } from '../session.tsx';

export function AgreementPage() {
  const { id = '' } = useParams();
  const state = useLoad(`agreement:${id}`, async (signal) => {
    const [agreement, versions] = await Promise.all([
      api<Agreement>(`/agreements/${id}`, { signal }),
      loadVersions(id, signal),
    ]);
    const status =
      agreement.activeVersion !== null
        ? await api<ControlStatus[]>(`/agreements/${id}/verification`, { signal }).catch(
            () => [] as ControlStatus[],
          )
        : [];
    return { agreement, versions, status };
  });
  return (
    <Async state={state} what="the agreement">
      {({ agreement, versions, status }) => (
        <>
          <PageTitle title={agreement.title}>
            <span className={`badge agreement-${agreement.status}`} data-testid="agreement-status">
              {STATUS_TEXT[agreement.status] ?? agreement.status}
            </span>
          </PageTitle>
          <OpenVersion agreement={agreement} versions={versions} onChange={state.reload} />
          {status.length > 0 && <ActiveControls agreementId={id} status={status} />}
          <History agreement={agreement} versions={versions} />
        </>
      )}
    </Async>
  );
}

function OpenVersion({
  agreement,
  versions,
  onChange,
}: {
  agreement: Agreement;
  versions: AgreementVersion[];
  onChange: () => void;
}) {
  const m = useMember();
  const [confirming, setConfirming] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const open = versions.find((v) => v.version === agreement.openVersion) ?? null;
  const active = versions.find((v) => v.version === agreement.activeVersion) ?? null;
  const act = useAction(async (verb: string, body?: unknown) => {
    await api(`${versionPath(agreement.id, open!.version)}/${verb}`, { method: 'POST', body });
    setConfirming(false);
    setRejecting(false);
    onChange();
  });
  const amend = useAction(async () => {
    await api(`/agreements/${agreement.id}/amendments`, { body: {} });
    onChange();
  });
  const canDraft = m.can('agreements:draft');
  const canAccept = m.can('agreements:accept');

  if (!open) {
    return (
      <section className="card">
        <p>No version is open for changes.</p>
        {active && canDraft && (
          <button type="button" onClick={() => void amend.run()} disabled={amend.busy}>
            Start an amendment
          </button>
        )}
        {amend.error && <ErrorBox error={amend.error} />}
      </section>
    );
  }
  const acceptedByUs = open.acceptances.some((a) => a.orgId === m.orgId);
  return (
    <section className="card" aria-labelledby="open-title">
      <h2 id="open-title">
        Version {open.version} · {open.state}
      </h2>
      <p className="muted small">
        {open.content.controls.length} controls · created {fmtTime(open.createdAt)}
        {open.note ? ` · ${open.note}` : ''}
      </p>
      {open.acceptances.length > 0 && (
        <p>Accepted by {open.acceptances.map((a) => `${a.party} (${a.userLabel})`).join(' and ')}.</p>
      )}
      <div className="actions">
        {open.state === 'draft' && canDraft && (
          <>
            <Link className="button" to={`/agreements/${agreement.id}/edit`}>
              Edit draft
            </Link>
            <button
              type="button"
              className="primary"
              disabled={act.busy}
              onClick={() => void act.run('propose')}
            >
              Propose to the other party
            </button>
          </>
        )}
        {active && (
          <Link
            className="button"
            to={`/agreements/${agreement.id}/compare?a=${active.version}&b=${open.version}`}
          >
            Compare with version {active.version}
          </Link>
        )}
        {open.state === 'proposed' && canAccept && !acceptedByUs && (
          <>
            <button type="button" className="primary" onClick={() => setConfirming(true)}>
              Review and accept
            </button>
            <button type="button" onClick={() => setRejecting(true)}>
              Reject
            </button>
          </>
        )}
        {open.state === 'proposed' && open.createdByOrgId === m.orgId && canDraft && (
          <button type="button" disabled={act.busy} onClick={() => void act.run('withdraw')}>
            Withdraw
          </button>
        )}
      </div>
      {confirming && open.digest && (
        <div className="confirm" role="region" aria-labelledby="accept-title">
          <h3 id="accept-title">Accept version {open.version}</h3>
          <p>You accept exactly this content, identified by its SHA-256 digest:</p>
          <p>
            <code className="digest" data-testid="accept-digest">
              {open.digest}
            </code>
          </p>
          <button
            type="button"
            className="primary"
            disabled={act.busy}
            onClick={() => void act.run('accept', { digest: open.digest })}
          >
            Accept this digest
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {rejecting && (
        <form
          className="confirm"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run('reject', { reason });
          }}
        >
          <Field label="Why do you reject this version?" id="reject-reason">
            <textarea
              id="reject-reason"
              required
              minLength={3}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </Field>
          <button type="submit" disabled={act.busy}>
            Reject version {open.version}
          </button>
        </form>
      )}
      {act.error && <ErrorBox error={act.error} />}
      <VersionControls version={open} />
    </section>
  );
}

function VersionControls({ version }: { version: AgreementVersion }) {
  return (
    <details>
      <summary>
        The {version.content.controls.length} controls of version {version.version}
      </summary>
      <div className="table-scroll">
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Control</th>
              <th scope="col">Owner</th>
              <th scope="col">Parameters</th>
              <th scope="col">Verification</th>
            </tr>
          </thead>
          <tbody>
            {version.content.controls.map((c) => (
              <tr key={c.controlId}>
                <th scope="row">
                  {c.controlId} <span className="muted small">{c.title}</span>
                </th>
                <td>{c.owner}</td>
                <td className="small">
                  {Object.entries(c.parameters)
                    .map(([k, v]) => `${k} = ${show(v)}`)
                    .join('; ') || '—'}
                </td>
                <td>
                  {c.verification}, {c.cadence}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function ActiveControls({ agreementId, status }: { agreementId: string; status: ControlStatus[] }) {
  const [filter, setFilter] = useState('');
  const shown = status.filter((c) => !filter || c.status === filter);
  return (
    <section className="card" aria-labelledby="controls-title">
      <header className="row-between">
        <h2 id="controls-title">Controls of the active version</h2>
        <label>
          Show{' '}
          <select value={filter} onChange={(e) => setFilter(e.target.value)}>
            <option value="">all</option>
            <option value="pass">met</option>
            <option value="fail">not met</option>
            <option value="partial">partly met</option>
            <option value="unknown">unknown</option>
            <option value="error">error</option>
          </select>
        </label>
      </header>
      {shown.length === 0 ? (
        <Empty>No control in that state.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Control</th>
                <th scope="col">Status</th>
                <th scope="col">Owner</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <tr key={c.controlId}>
                  <th scope="row">
                    <Link to={`/agreements/${agreementId}/controls/${c.controlId}`}>{c.controlId}</Link>
                  </th>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td>{c.owner}</td>
                  <td className="small">{c.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function History({ agreement, versions }: { agreement: Agreement; versions: AgreementVersion[] }) {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  const [a, setA] = useState(sorted[1]?.version ?? 1);
  const [b, setB] = useState(sorted[0]?.version ?? 1);
  if (sorted.length === 0) return <Empty>No versions.</Empty>;
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div className="table-scroll">
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Accepted by</th>
              <th scope="col">Digest</th>
              <th scope="col">Export</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((v) => (
              <tr key={v.version}>
                <th scope="row">{v.version}</th>
                <td>{v.state}</td>
                <td>{fmtTime(v.createdAt)}</td>
                <td className="small">
                  {v.acceptances
                    .map((x) => `${x.party}: ${x.userLabel}, ${fmtTime(x.acceptedAt)}`)
                    .join('; ') || '—'}
                </td>
                <td>
                  <code className="small">{v.digest ? `${v.digest.slice(0, 12)}…` : '—'}</code>
                </td>
                <td className="small">
                  {(['markdown', 'html', 'json'] as const).map((f) => (
                    <a
                      key={f}
                      href={`/api/v1${versionPath(agreement.id, v.version)}/export?format=${f}`}
                      download
                      className="export-link"
                    >
                      {f}
                    </a>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length > 1 && (
        <form
          className="filters"
          action={`/agreements/${agreement.id}/compare`}
          onSubmit={(e) => e.preventDefault()}
        >
          <label>
            Compare version
            <select value={a} onChange={(e) => setA(Number(e.target.value))}>
              {sorted.map((v) => (
                <option key={v.version}>{v.version}</option>
              ))}
            </select>
          </label>
          <label>
            with
            <select value={b} onChange={(e) => setB(Number(e.target.value))}>
              {sorted.map((v) => (
                <option key={v.version}>{v.version}</option>
              ))}
            </select>
          </label>
          <Link className="button" to={`/agreements/${agreement.id}/compare?a=${a}&b=${b}`}>
            Compare
          </Link>
        </form>
      )}
    </section>
  );
}

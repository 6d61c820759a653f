import { useRef, useState, type DragEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, qs, upload } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type {
  ControlAttestations,
  ControlHistoryEntry,
  ControlStatus,
  Evidence,
  EvidenceDetail,
} from '../api/types.ts';
import {
  Async,
  Empty,
  ErrorBox,
  Field,
  fmtDay,
  fmtTime,
  KeyValues,
  PageTitle,
  StatusBadge,
} from '../components/ui.tsx';
import { ChartView } from '../components/chart.tsx';
import { useMember } from '../session.tsx';

const STATUS_SCORE: Record<string, number> = { fail: 0, error: 0, unknown: 1, partial: 2, pass: 3 };

export function ControlPage() {
  const { id = '', controlId = '' } = useParams();
  const base = `/agreements/${id}/controls/${encodeURIComponent(controlId)}`;
  const state = useLoad(`control:${id}:${controlId}`, async (signal) => {
    const [status, history] = await Promise.all([
      api<ControlStatus[]>(`/agreements/${id}/verification`, { signal }),
      api<ControlHistoryEntry[]>(`${base}/history${qs({ limit: 200 })}`, { signal }),
    ]);
    const current = status.find((c) => c.controlId === controlId) ?? null;
    return { current, history };
  });
  return (
    <>
      <PageTitle title={`Control ${controlId}`}>
        <Link to={`/agreements/${id}`}>Back to the agreement</Link>
      </PageTitle>
      <Async state={state} what="the control">
        {({ current, history }) => (
          <>
            {current ? <Current c={current} /> : <Empty>This control is not in the active version.</Empty>}
            <StatusHistory history={history} />
            <EvidenceSection base={base} />
            <AttestationSection base={base} />
          </>
        )}
      </Async>
    </>
  );
}

function Current({ c }: { c: ControlStatus }) {
  return (
    <section className="card" aria-labelledby="now-title">
      <header className="row-between">
        <h2 id="now-title">Now</h2>
        <StatusBadge status={c.status} />
      </header>
      <p>{c.reason}</p>
      <p className="muted small">
        Owner {c.owner} · {c.verification}, {c.cadence} · data of {fmtTime(c.dataAt)} · evaluated{' '}
        {fmtTime(c.evaluatedAt)}
      </p>
      <div className="grid-2">
        <div>
          <h3>Observed</h3>
          <KeyValues values={c.observed} />
        </div>
        <div>
          <h3>Expected</h3>
          <KeyValues values={c.expected} />
        </div>
      </div>
      {c.evidence.length > 0 && (
        <>
          <h3>Data used</h3>
          <ul className="plain">
            {c.evidence.map((e, i) => (
              <li key={`${e.type}${i}`}>
                <span className="badge tone-neutral">{e.type}</span> {e.summary}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function StatusHistory({ history }: { history: ControlHistoryEntry[] }) {
  const asc = [...history].sort((a, b) => (a.evaluatedAt < b.evaluatedAt ? -1 : 1));
  return (
    <section className="card" aria-labelledby="hist-title">
      <h2 id="hist-title">Status history</h2>
      {asc.length === 0 ? (
        <Empty>No evaluations yet.</Empty>
      ) : (
        <>
          <ChartView
            type="line"
            labels={asc.map((h) => h.day)}
            series={[
              {
                label: 'Status (0 not met · 1 unknown · 2 partly · 3 met)',
                data: asc.map((h) => STATUS_SCORE[h.status] ?? 1),
                color: '#1d4ed8',
              },
            ]}
            label="Status over time"
            summary={`${asc.length} evaluations from ${asc[0]!.day} to ${asc[asc.length - 1]!.day}; now ${asc[asc.length - 1]!.status}`}
            yMax={3}
            height={180}
          />
          <ul className="plain small">
            {history
              .filter((h) => h.kind === 'change')
              .slice(0, 10)
              .map((h) => (
                <li key={h.evaluatedAt}>
                  {fmtTime(h.evaluatedAt)}: {h.previousStatus ?? 'new'} → <StatusBadge status={h.status} />{' '}
                  {h.reason}
                </li>
              ))}
          </ul>
        </>
      )}
    </section>
  );
}

function EvidenceSection({ base }: { base: string }) {
  const m = useMember();
  const list = useLoad(`evidence:${base}`, (s) => api<Evidence[]>(`${base}/evidence`, { signal: s }));
  const [progress, setProgress] = useState<number | null>(null);
  const [dragging, setDragging] = useState(false);
  const [effective, setEffective] = useState(new Date().toISOString().slice(0, 10));
  const input = useRef<HTMLInputElement>(null);
  const send = useAction(async (file: File) => {
    setProgress(0);
    try {
      await upload<EvidenceDetail>(
        `${base}/evidence${qs({ filename: file.name, title: file.name, effectiveAt: effective })}`,
        file,
        setProgress,
      );
      list.reload();
    } finally {
      setProgress(null);
    }
  });
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer.files[0];
    if (f) void send.run(f);
  };
  return (
    <section className="card" aria-labelledby="ev-title">
      <h2 id="ev-title">Evidence</h2>
      <Async state={list} what="evidence">
        {(items) =>
          items.length === 0 ? (
            <Empty>No evidence yet.</Empty>
          ) : (
            <ul className="plain" data-testid="evidence-list">
              {items.map((e) => (
                <li key={e.id}>
                  <strong>{e.latest.title}</strong>{' '}
                  <span className={`badge evidence-${e.status}`}>{e.status.replace(/_/g, ' ')}</span>{' '}
                  {e.latest.file ? (
                    <a
                      href={`/api/v1${base}/evidence/${e.id}/revisions/${e.latest.revision}/content`}
                      download
                    >
                      {e.latest.file.filename} ({Math.ceil(e.latest.file.sizeBytes / 1024)} KB)
                    </a>
                  ) : (
                    e.latest.url && (
                      <a href={e.latest.url} rel="noreferrer noopener" target="_blank">
                        {e.latest.url}
                      </a>
                    )
                  )}
                  <span className="muted small">
                    {' '}
                    · effective {fmtDay(e.latest.effectiveAt)} · by {e.latest.createdBy.label}
                    {e.latest.file ? ` · SHA-256 ${e.latest.file.sha256.slice(0, 12)}…` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      {m.can('evidence:write') && (
        <div className="upload">
          <Field label="Effective from" id="ev-effective">
            <input
              id="ev-effective"
              type="date"
              value={effective}
              onChange={(e) => setEffective(e.target.value)}
              required
            />
          </Field>
          <div
            className={`dropzone${dragging ? ' dragging' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <p>Drop a file here, or</p>
            <label className="button" htmlFor="ev-file">
              Choose a file
            </label>
            <input
              ref={input}
              id="ev-file"
              type="file"
              className="visually-hidden"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void send.run(f);
                e.target.value = '';
              }}
            />
          </div>
          {progress !== null && (
            <p>
              <label htmlFor="ev-progress">Uploading</label>{' '}
              <progress id="ev-progress" max={1} value={progress} /> {Math.round(progress * 100)}%
            </p>
          )}
          {send.error && <ErrorBox error={send.error} />}
        </div>
      )}
    </section>
  );
}

function AttestationSection({ base }: { base: string }) {
  const m = useMember();
  const state = useLoad(`att:${base}`, (s) =>
    api<ControlAttestations>(`${base}/attestations`, { signal: s }),
  );
  const [statement, setStatement] = useState('');
  const [comment, setComment] = useState('');
  const act = useAction(async (path: string, body: unknown) => {
    await api(`${base}/attestations${path}`, { body });
    setStatement('');
    setComment('');
    state.reload();
  });
  return (
    <section className="card" aria-labelledby="att-title">
      <h2 id="att-title">Attestation</h2>
      <Async state={state} what="attestations">
        {(a) => {
          const cur = a.current;
          const mine = cur?.createdBy.orgId === m.orgId;
          return (
            <>
              <p>
                State: <span className={`badge attestation-${a.state}`}>{a.state}</span> · owner {a.owner}
              </p>
              {cur ? (
                <blockquote>
                  <p>{cur.statement}</p>
                  <footer className="muted small">
                    {cur.createdBy.label}, {fmtTime(cur.createdAt)}
                    {cur.review &&
                      ` · ${cur.review.decision} by ${cur.review.userLabel}${cur.review.comment ? `: “${cur.review.comment}”` : ''}`}
                  </footer>
                </blockquote>
              ) : (
                <Empty>Nobody has attested this control.</Empty>
              )}
              {m.can('attest') && cur && !mine && !cur.review && (
                <form
                  className="confirm"
                  onSubmit={(e) => {
                    e.preventDefault();
                  }}
                >
                  <Field label="Comment" id="review-comment" hint="Required to dispute">
                    <textarea
                      id="review-comment"
                      value={comment}
                      onChange={(e) => setComment(e.target.value)}
                    />
                  </Field>
                  <button
                    type="button"
                    className="primary"
                    disabled={act.busy}
                    onClick={() => void act.run(`/${cur.id}/accept`, comment ? { comment } : {})}
                  >
                    Accept attestation
                  </button>
                  <button
                    type="button"
                    disabled={act.busy || !comment.trim()}
                    onClick={() => void act.run(`/${cur.id}/dispute`, { comment })}
                  >
                    Dispute
                  </button>
                </form>
              )}
              {m.can('attest') && (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act.run('', { statement });
                  }}
                >
                  <Field
                    label="Attest this control"
                    id="statement"
                    hint="What you state is in place, and on what basis"
                  >
                    <textarea
                      id="statement"
                      required
                      value={statement}
                      onChange={(e) => setStatement(e.target.value)}
                    />
                  </Field>
                  <button type="submit" disabled={act.busy || !statement.trim()}>
                    Attest
                  </button>
                </form>
              )}
              {act.error && <ErrorBox error={act.error} />}
            </>
          );
        }}
      </Async>
    </section>
  );
}

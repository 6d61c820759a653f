import { useMemo, useState, type FormEvent } from 'react';
import { useParams } from 'react-router-dom';
import { api, qs } from '../api/client.ts';
import { useLoad } from '../api/use-api.ts';
import type { EventPage, LogSource, StoredEvent } from '../api/types.ts';
import { Async, Empty, fmtTime, PageTitle } from '../components/ui.tsx';
import { ChartView } from '../components/chart.tsx';
import { OrgTabs } from '../components/layout.tsx';

const CLASSES = [
  'authentication',
  'session',
  'account_change',
  'group_change',
  'privilege_use',
  'process',
  'policy_change',
  'audit_log',
  'other',
];
interface Filters {
  q: string;
  user: string;
  srcIp: string;
  class: string;
  outcome: string;
  isMsp: string;
  sourceId: string;
  from: string;
  to: string;
}
const EMPTY: Filters = {
  q: '',
  user: '',
  srcIp: '',
  class: '',
  outcome: '',
  isMsp: '',
  sourceId: '',
  from: '',
  to: '',
};
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** Events per hour (or per day over long spans) of the page shown. */
export function histogram(events: StoredEvent[]) {
  if (events.length === 0) return { labels: [], counts: [] };
  const times = events.map((e) => Date.parse(e.time));
  const span = Math.max(...times) - Math.min(...times);
  const bucket = span > 3 * 86_400_000 ? 86_400_000 : 3_600_000;
  const counts = new Map<number, number>();
  for (const t of times)
    counts.set(Math.floor(t / bucket) * bucket, (counts.get(Math.floor(t / bucket) * bucket) ?? 0) + 1);
  const start = Math.min(...counts.keys());
  const end = Math.max(...counts.keys());
  const labels: string[] = [];
  const out: number[] = [];
  for (let t = start; t <= end; t += bucket) {
    labels.push(
      new Date(t)
        .toISOString()
        .slice(bucket === 86_400_000 ? 5 : 5, bucket === 86_400_000 ? 10 : 13)
        .replace('T', ' ') + (bucket === 86_400_000 ? '' : 'h'),
    );
    out.push(counts.get(t) ?? 0);
  }
  return { labels, counts: out };
}

export function LogsPage() {
  const { orgId = '' } = useParams();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const query = useMemo(
    () =>
      qs({
        q: filters.q || undefined,
        user: filters.user || undefined,
        srcIp: filters.srcIp || undefined,
        class: filters.class || undefined,
        outcome: filters.outcome || undefined,
        isMsp: filters.isMsp || undefined,
        sourceId: filters.sourceId || undefined,
        from: iso(filters.from),
        to: iso(filters.to),
      }),
    [filters],
  );
  const sources = useLoad(`sources:${orgId}`, (s) =>
    api<LogSource[]>(`/orgs/${orgId}/sources`, { signal: s }),
  );
  const page = useLoad(`events:${orgId}:${query}`, (s) =>
    api<EventPage>(`/orgs/${orgId}/events${query}${query ? '&' : '?'}limit=500`, { signal: s }),
  );
  const field = (k: keyof Filters) => ({
    value: draft[k],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value })),
  });
  return (
    <>
      <OrgTabs orgId={orgId} />
      <PageTitle title="Logs" />
      <form
        className="filters card"
        role="search"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <label>
          Text
          <input type="search" {...field('q')} placeholder="Anywhere in the record" />
        </label>
        <label>
          User
          <input {...field('user')} />
        </label>
        <label>
          Source address
          <input {...field('srcIp')} />
        </label>
        <label>
          Class
          <select {...field('class')}>
            <option value="">any</option>
            {CLASSES.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select {...field('outcome')}>
            <option value="">any</option>
            <option>success</option>
            <option>failure</option>
            <option>unknown</option>
          </select>
        </label>
        <label>
          Account
          <select {...field('isMsp')}>
            <option value="">any</option>
            <option value="true">MSP accounts</option>
            <option value="false">other accounts</option>
          </select>
        </label>
        <label>
          Source
          <select {...field('sourceId')}>
            <option value="">any</option>
            {(sources.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" {...field('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" {...field('to')} />
        </label>
        <button type="submit" className="primary">
          Search
        </button>
        <button type="button" onClick={() => (setDraft(EMPTY), setFilters(EMPTY))}>
          Clear
        </button>
      </form>
      <Async state={page} what="events">
        {(p) => <Results orgId={orgId} events={p.events} more={!!p.nextCursor} query={query} />}
      </Async>
    </>
  );
}

function Results({
  orgId,
  events,
  more,
  query,
}: {
  orgId: string;
  events: StoredEvent[];
  more: boolean;
  query: string;
}) {
  const h = useMemo(() => histogram(events), [events]);
  const sep = query ? '&' : '?';
  if (events.length === 0) return <Empty>No events match.</Empty>;
  return (
    <>
      <section className="card" aria-labelledby="hist-title">
        <header className="row-between">
          <h2 id="hist-title">
            {events.length}
            {more ? '+' : ''} events
          </h2>
          <span className="actions">
            Export:
            <a
              href={`/api/v1/orgs/${orgId}/events${query}${sep}format=ndjson&limit=1000`}
              download="events.ndjson"
            >
              NDJSON
            </a>
            <a href={`/api/v1/orgs/${orgId}/events${query}${sep}format=csv&limit=1000`} download="events.csv">
              CSV
            </a>
          </span>
        </header>
        <ChartView
          type="bar"
          labels={h.labels}
          series={[{ label: 'Events', data: h.counts, color: '#1d4ed8' }]}
          label="Events over time"
          summary={`${events.length} events in ${h.labels.length} buckets`}
          height={160}
        />
        {more && (
          <p className="muted small">
            The histogram and list show the newest 500 events; narrow the filters to see older ones.
          </p>
        )}
      </section>
      <ul className="events card">
        {events.slice(0, 200).map((e) => (
          <li key={e.id}>
            <details>
              <summary>
                <span className="mono small">{fmtTime(e.time)}</span>{' '}
                <span className={e.outcome === 'failure' ? 'warn' : ''}>{e.activity}</span> {e.outcome} ·{' '}
                {e.user ?? '—'} {e.srcIp ? `from ${e.srcIp}` : ''}{' '}
                {e.isMsp && <span className="badge tone-info">MSP</span>}
              </summary>
              <dl className="kv small">
                {(
                  [
                    'class',
                    'reason',
                    'userDomain',
                    'dstHost',
                    'app',
                    'authProtocol',
                    'mfaUsed',
                    'processName',
                    'vendorEventId',
                  ] as const
                ).map((k) =>
                  e[k] !== null && e[k] !== undefined ? (
                    <div key={k}>
                      <dt>{k}</dt>
                      <dd>{String(e[k])}</dd>
                    </div>
                  ) : null,
                )}
              </dl>
              <p className="small">Raw record</p>
              <pre className="raw">{e.raw}</pre>
            </details>
          </li>
        ))}
      </ul>
    </>
  );
}

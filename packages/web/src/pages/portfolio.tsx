import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useLoad } from '../api/use-api.ts';
import {
  CELL_STATES,
  loadCustomerSignals,
  loadPortfolio,
  loadWaitingAgreements,
  SEVERITIES,
  type CellState,
  type PortfolioRow,
} from '../api/portfolio.ts';
import { Async, Empty, ErrorBox, Loading, PageTitle, StatusBadge } from '../components/ui.tsx';
import { ChartView } from '../components/chart.tsx';

const STATE_LABEL: Record<CellState, string> = {
  met: 'Met',
  partly: 'Partly',
  not_met: 'Not met',
  unknown: 'Unknown',
};
const PAGE = 100;
type SortKey = 'name' | 'met' | 'failing' | string;

export function PortfolioPage() {
  const portfolio = useLoad('portfolio', (s) => loadPortfolio(s));
  return (
    <>
      <PageTitle title="Portfolio" />
      <Async state={portfolio} what="the portfolio">
        {(m) =>
          m.rows.length === 0 ? (
            <Empty>
              No customer has an agreement yet. <Link to="/agreements/new">Draft the first agreement</Link>.
            </Empty>
          ) : (
            <>
              <HeatMap groups={m.groups} rows={m.rows} />
              <div className="grid-2">
                <Waiting />
                <Signals rows={m.rows} />
              </div>
            </>
          )
        }
      </Async>
    </>
  );
}

function HeatMap({ groups, rows }: { groups: string[]; rows: PortfolioRow[] }) {
  const [filter, setFilter] = useState('');
  const [stateFilter, setStateFilter] = useState<CellState | ''>('');
  const [groupFilter, setGroupFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'name', dir: 1 });
  const [shown, setShown] = useState(PAGE);
  const [cell, setCell] = useState<{ row: PortfolioRow; group: string } | null>(null);

  const visibleGroups = useMemo(
    () => (groupFilter ? groups.filter((g) => g === groupFilter) : groups),
    [groups, groupFilter],
  );
  const filtered = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const out = rows.filter(
      (r) =>
        (!f || r.customerName.toLowerCase().includes(f)) &&
        (!stateFilter || visibleGroups.some((g) => r.cells[g]?.state === stateFilter)),
    );
    const rank = (r: PortfolioRow): number | string => {
      if (sort.key === 'name') return r.customerName.toLowerCase();
      if (sort.key === 'met') return r.total ? r.met / r.total : 0;
      if (sort.key === 'failing') return r.failing;
      const c = r.cells[sort.key];
      return c ? c.pass / c.total : -1;
    };
    return out.sort((a, b) => {
      const x = rank(a);
      const y = rank(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    });
  }, [rows, filter, stateFilter, visibleGroups, sort]);

  const sortBy = (key: SortKey) =>
    setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : key === 'name' ? 1 : -1 }));
  const ariaSort = (key: SortKey) =>
    sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined;

  return (
    <section aria-labelledby="heat-title" className="card">
      <h2 id="heat-title">Controls by customer and group</h2>
      <div className="filters" role="search">
        <label>
          Customer
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="Filter by name"
          />
        </label>
        <label>
          Group
          <select value={groupFilter} onChange={(e) => setGroupFilter(e.target.value)}>
            <option value="">All groups</option>
            {groups.map((g) => (
              <option key={g}>{g}</option>
            ))}
          </select>
        </label>
        <label>
          Has a group that is
          <select value={stateFilter} onChange={(e) => setStateFilter(e.target.value as CellState | '')}>
            <option value="">any state</option>
            {CELL_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <p className="muted small" aria-live="polite">
          {filtered.length} of {rows.length} customers
        </p>
      </div>
      <Legend />
      <div className="table-scroll">
        <table className="heatmap" data-testid="heatmap">
          <thead>
            <tr>
              <th scope="col" aria-sort={ariaSort('name')}>
                <button type="button" onClick={() => sortBy('name')}>
                  Customer
                </button>
              </th>
              <th scope="col" aria-sort={ariaSort('met')}>
                <button type="button" onClick={() => sortBy('met')}>
                  Met
                </button>
              </th>
              {visibleGroups.map((g) => (
                <th scope="col" key={g} aria-sort={ariaSort(g)}>
                  <button type="button" onClick={() => sortBy(g)}>
                    {g}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {filtered.slice(0, shown).map((r) => (
              <tr key={r.agreementId}>
                <th scope="row">
                  <Link to={`/orgs/${r.customerId}/home`}>{r.customerName}</Link>
                </th>
                <td className="num">
                  {r.met}/{r.total}
                </td>
                {visibleGroups.map((g) => {
                  const c = r.cells[g];
                  if (!c) return <td key={g} className="cell none" aria-label="not in the agreement" />;
                  return (
                    <td key={g} className={`cell ${c.state}`}>
                      <button
                        type="button"
                        aria-label={`${c.pass}/${c.total} met: ${r.customerName}, ${g}, ${STATE_LABEL[c.state]}`}
                        onClick={() => setCell({ row: r, group: g })}
                      >
                        {c.pass}/{c.total}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {filtered.length > shown && (
        <button type="button" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, filtered.length - shown)} more
        </button>
      )}
      {cell && <CellDetail row={cell.row} group={cell.group} onClose={() => setCell(null)} />}
    </section>
  );
}

function Legend() {
  return (
    <ul className="legend" aria-label="Legend">
      {CELL_STATES.map((s) => (
        <li key={s}>
          <span className={`swatch ${s}`} aria-hidden="true" /> {STATE_LABEL[s]}
        </li>
      ))}
    </ul>
  );
}

function CellDetail({ row, group, onClose }: { row: PortfolioRow; group: string; onClose: () => void }) {
  const c = row.cells[group]!;
  return (
    <section className="drill card" aria-labelledby="drill-title" role="region">
      <header className="row-between">
        <h3 id="drill-title" tabIndex={-1} ref={(el) => el?.focus()}>
          {row.customerName} · {group}
        </h3>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      <ul className="plain">
        {c.controls.map((k) => (
          <li key={k.controlId}>
            <Link to={`/agreements/${row.agreementId}/controls/${k.controlId}`}>{k.controlId}</Link>{' '}
            <StatusBadge status={k.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Waiting() {
  const w = useLoad('waiting', (s) => loadWaitingAgreements(s));
  return (
    <section className="card" aria-labelledby="waiting-title">
      <h2 id="waiting-title">Agreements waiting for action</h2>
      <Async state={w} what="agreements">
        {(list) =>
          list.length === 0 ? (
            <Empty>Nothing is waiting.</Empty>
          ) : (
            <ul className="plain">
              {list.map((a) => (
                <li key={a.id}>
                  <Link to={`/agreements/${a.id}`}>{a.title}</Link>{' '}
                  <span className="badge tone-info">{a.status.replace(/_/g, ' ')}</span>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}

const LEVEL_COLOR: Record<string, string> = {
  critical: '#7f1d1d',
  high: '#b91c1c',
  medium: '#c2410c',
  low: '#1d4ed8',
  informational: '#475569',
};

function Signals({ rows }: { rows: PortfolioRow[] }) {
  const ids = useMemo(() => rows.map((r) => r.customerId), [rows]);
  const names = useMemo(() => new Map(rows.map((r) => [r.customerId, r.customerName])), [rows]);
  // Read after the heat map is on screen: these per-customer reads must not delay it.
  const [go, setGo] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setGo(true), 300);
    return () => clearTimeout(t);
  }, []);
  const s = useLoad(go ? `signals:${ids.length}` : null, (sig) => loadCustomerSignals(ids, 50, sig));
  if (s.error) return <ErrorBox error={s.error} retry={s.reload} />;
  if (!s.data) return <Loading what="alerts and log coverage" />;
  const totals = SEVERITIES.map((l) => s.data!.signals.reduce((n, x) => n + (x.openAlerts[l] ?? 0), 0));
  return (
    <>
      <section className="card" aria-labelledby="alerts-title">
        <h2 id="alerts-title">Open alerts by severity</h2>
        <ChartView
          type="bar"
          labels={[...SEVERITIES]}
          series={[{ label: 'Open alerts', data: totals, color: '#b91c1c' }]}
          label="Open alerts by severity"
          summary={SEVERITIES.map((l, i) => `${l}: ${totals[i]}`).join(', ')}
          height={180}
        />
        <table className="compact">
          <caption className="visually-hidden">Open alerts per customer</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              {SEVERITIES.slice(0, 4).map((l) => (
                <th scope="col" key={l}>
                  {l}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {s.data.signals
              .filter((x) => Object.keys(x.openAlerts).length > 0)
              .map((x) => (
                <tr key={x.customerId}>
                  <th scope="row">
                    <Link to={`/orgs/${x.customerId}/alerts`}>{names.get(x.customerId)}</Link>
                  </th>
                  {SEVERITIES.slice(0, 4).map((l) => (
                    <td
                      key={l}
                      className="num"
                      style={{ color: x.openAlerts[l] ? LEVEL_COLOR[l] : undefined }}
                    >
                      {x.openAlerts[l] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
        {s.data.truncated && <p className="muted small">Counted over the first 50 customers.</p>}
      </section>
      <section className="card" aria-labelledby="coverage-title">
        <h2 id="coverage-title">Log coverage</h2>
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Days held / agreed</th>
              <th scope="col">Silent sources</th>
            </tr>
          </thead>
          <tbody>
            {s.data.signals.map((x) => (
              <tr key={x.customerId}>
                <th scope="row">
                  <Link to={`/orgs/${x.customerId}/sources`}>{names.get(x.customerId)}</Link>
                </th>
                <td className="num">
                  {x.coverage ? (
                    <span className={x.coverage.daysHeld >= x.coverage.requiredDays ? 'ok' : 'warn'}>
                      {x.coverage.daysHeld} / {x.coverage.requiredDays}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="num">
                  {x.coverage ? `${x.coverage.silentSources} of ${x.coverage.sources}` : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import { loadCatalog, versionPath } from '../api/agreements.ts';
import type {
  Agreement,
  AgreementControlInput,
  AgreementVersion,
  CatalogControl,
  Relationship,
} from '../api/types.ts';
import { Async, Empty, ErrorBox, Field, PageTitle } from '../components/ui.tsx';
import { useMember } from '../session.tsx';

type Param = CatalogControl['parameters'][number];
type Value = number | boolean | string | string[];
interface Chosen {
  owner: 'msp' | 'customer' | 'shared';
  parameters: Record<string, Value>;
}
const MAPPINGS = {
  nist_csf_2: 'NIST CSF 2.0',
  cis_v8: 'CIS v8',
  essential_eight: 'Essential Eight',
  cisa_cpg_2: 'CISA CPG 2.0',
};

/** The floor (or ceiling) a value breaks, in words; null when the value is allowed. */
export function paramProblem(p: Param, v: Value): string | null {
  if (p.type === 'integer' || p.type === 'number' || p.type === 'ratio') {
    if (typeof v !== 'number' || Number.isNaN(v)) return 'enter a number';
    if (p.type === 'integer' && !Number.isInteger(v)) return 'enter a whole number';
    if (p.floor !== undefined && v < p.floor)
      return `must be at least ${p.floor}${p.unit ? ` ${p.unit}` : ''} (the catalog's floor)`;
    if (p.ceiling !== undefined && v > p.ceiling)
      return `must be at most ${p.ceiling}${p.unit ? ` ${p.unit}` : ''}`;
  }
  return null;
}

export function AgreementBuilderPage() {
  const { id } = useParams();
  const m = useMember();
  const state = useLoad(`builder:${id ?? 'new'}`, async (signal) => {
    const catalog = await loadCatalog();
    if (!id) {
      const rels = await api<Relationship[]>('/relationships', { signal });
      return {
        catalog,
        rels: rels.filter((r) => r.status === 'active'),
        draft: null as AgreementVersion | null,
      };
    }
    const a = await api<Agreement>(`/agreements/${id}`, { signal });
    if (a.openVersion === null) return { catalog, rels: [], draft: null };
    const v = await api<AgreementVersion>(versionPath(id, a.openVersion), { signal });
    return { catalog, rels: [], draft: v.state === 'draft' ? v : null };
  });
  if (!m.can('agreements:draft')) return <Empty>Your role cannot draft agreements.</Empty>;
  return (
    <>
      <PageTitle title={id ? 'Edit draft' : 'New agreement'} />
      <Async state={state} what="the catalog">
        {(d) =>
          id && !d.draft ? (
            <Empty>
              This agreement has no draft to edit. <Link to={`/agreements/${id}`}>Back to the agreement</Link>
            </Empty>
          ) : (
            <Builder
              agreementId={id ?? null}
              catalog={d.catalog.controls}
              groups={d.catalog.groups}
              rels={d.rels}
              draft={d.draft}
            />
          )
        }
      </Async>
    </>
  );
}

function Builder({
  agreementId,
  catalog,
  groups,
  rels,
  draft,
}: {
  agreementId: string | null;
  catalog: CatalogControl[];
  groups: { id: string; title: string }[];
  rels: Relationship[];
  draft: AgreementVersion | null;
}) {
  const navigate = useNavigate();
  const [customer, setCustomer] = useState(rels[0]?.customerOrgId ?? '');
  const [title, setTitle] = useState(draft?.content.title ?? 'Managed security services agreement');
  const [search, setSearch] = useState('');
  const [group, setGroup] = useState('');
  const [owner, setOwner] = useState('');
  const [mapping, setMapping] = useState('');
  const [chosen, setChosen] = useState<Map<string, Chosen>>(() => {
    const m = new Map<string, Chosen>();
    for (const c of draft?.content.controls ?? [])
      m.set(c.controlId, { owner: c.owner, parameters: { ...c.parameters } });
    return m;
  });
  const byId = useMemo(() => new Map(catalog.map((c) => [c.id, c])), [catalog]);

  const visible = catalog.filter((c) => {
    const q = search.trim().toLowerCase();
    return (
      (!q ||
        c.id.toLowerCase().includes(q) ||
        c.title.toLowerCase().includes(q) ||
        c.objective.toLowerCase().includes(q)) &&
      (!group || c.group === group) &&
      (!owner || c.default_owner === owner) &&
      (!mapping || (c.mappings[mapping as keyof typeof MAPPINGS]?.length ?? 0) > 0)
    );
  });

  const toggle = (c: CatalogControl, on: boolean) =>
    setChosen((prev) => {
      const next = new Map(prev);
      if (on)
        next.set(c.id, {
          owner: c.default_owner,
          parameters: Object.fromEntries(c.parameters.map((p) => [p.name, p.default])),
        });
      else next.delete(c.id);
      return next;
    });
  const setParam = (cid: string, name: string, v: Value) =>
    setChosen((prev) => {
      const next = new Map(prev);
      const c = next.get(cid)!;
      next.set(cid, { ...c, parameters: { ...c.parameters, [name]: v } });
      return next;
    });

  const problems = [...chosen].flatMap(([cid, c]) =>
    (byId.get(cid)?.parameters ?? []).flatMap((p) => {
      const msg = paramProblem(p, c.parameters[p.name] ?? p.default);
      return msg ? [`${cid} ${p.name}: ${msg}`] : [];
    }),
  );

  const save = useAction(async () => {
    const controls: AgreementControlInput[] = [...chosen].map(([controlId, c]) => ({
      controlId,
      owner: c.owner,
      parameters: c.parameters,
    }));
    if (agreementId) {
      await api<AgreementVersion>(`/agreements/${agreementId}/draft`, {
        method: 'PUT',
        body: { title, controls },
      });
      navigate(`/agreements/${agreementId}`);
    } else {
      const v = await api<AgreementVersion>('/agreements', {
        body: { customerOrgId: customer, title, controls },
      });
      navigate(`/agreements/${v.agreementId}`);
    }
  });

  useEffect(() => {
    if (!customer && rels[0]) setCustomer(rels[0].customerOrgId);
  }, [rels, customer]);

  if (!agreementId && rels.length === 0)
    return <Empty>You have no active customer relationship to draft an agreement for.</Empty>;

  return (
    <form
      className="builder"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        if (problems.length === 0 && chosen.size > 0) void save.run();
      }}
    >
      <div className="card grid-2">
        {!agreementId && (
          <Field label="Customer" id="customer">
            <select id="customer" value={customer} onChange={(e) => setCustomer(e.target.value)} required>
              {rels.map((r) => (
                <option key={r.customerOrgId} value={r.customerOrgId}>
                  {r.customerName}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Title" id="title">
          <input
            id="title"
            required
            minLength={3}
            maxLength={200}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
          />
        </Field>
      </div>
      <section className="card" aria-labelledby="catalog-title">
        <h2 id="catalog-title">Controls from the catalog</h2>
        <div className="filters" role="search">
          <label>
            Search
            <input
              type="search"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              placeholder="Id, title or objective"
            />
          </label>
          <label>
            Group
            <select value={group} onChange={(e) => setGroup(e.target.value)}>
              <option value="">All</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.id} · {g.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            Owner
            <select value={owner} onChange={(e) => setOwner(e.target.value)}>
              <option value="">Any</option>
              <option value="msp">MSP</option>
              <option value="customer">Customer</option>
              <option value="shared">Shared</option>
            </select>
          </label>
          <label>
            Mapped to
            <select value={mapping} onChange={(e) => setMapping(e.target.value)}>
              <option value="">Any framework</option>
              {Object.entries(MAPPINGS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => visible.forEach((c) => !chosen.has(c.id) && toggle(c, true))}>
            Add all {visible.length} shown
          </button>
        </div>
        <p className="muted small" aria-live="polite">
          {chosen.size} selected · {visible.length} shown
        </p>
        <ul className="catalog-list">
          {visible.map((c) => {
            const sel = chosen.get(c.id);
            return (
              <li key={c.id} className={sel ? 'selected' : ''}>
                <label className="check">
                  <input type="checkbox" checked={!!sel} onChange={(e) => toggle(c, e.target.checked)} />
                  <strong>{c.id}</strong> {c.title}
                </label>
                <p className="muted small">{c.objective}</p>
                {sel && (
                  <div className="params">
                    <label>
                      Owner
                      <select
                        value={sel.owner}
                        onChange={(e) =>
                          setChosen((prev) =>
                            new Map(prev).set(c.id, { ...sel, owner: e.target.value as Chosen['owner'] }),
                          )
                        }
                      >
                        <option value="msp">MSP</option>
                        <option value="customer">Customer</option>
                        <option value="shared">Shared</option>
                      </select>
                    </label>
                    {c.parameters.map((p) => (
                      <ParamInput
                        key={p.name}
                        cid={c.id}
                        p={p}
                        value={sel.parameters[p.name] ?? p.default}
                        onChange={(v) => setParam(c.id, p.name, v)}
                      />
                    ))}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      </section>
      {problems.length > 0 && (
        <div className="state error" role="alert">
          <p>
            <strong>Fix these before saving:</strong>
          </p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {save.error && <ErrorBox error={save.error} />}
      <div className="sticky-actions">
        <button
          type="submit"
          className="primary"
          disabled={save.busy || problems.length > 0 || chosen.size === 0}
        >
          {agreementId ? 'Save draft' : 'Create draft'}
        </button>
      </div>
    </form>
  );
}

function ParamInput({
  cid,
  p,
  value,
  onChange,
}: {
  cid: string;
  p: Param;
  value: Value;
  onChange: (v: Value) => void;
}) {
  const id = `${cid}-${p.name}`;
  const problem = paramProblem(p, value);
  const hint = `${p.description}${p.floor !== undefined ? ` · floor ${p.floor}${p.unit ? ` ${p.unit}` : ''}` : ''}`;
  if (p.type === 'boolean')
    return (
      <label className="check">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />{' '}
        {p.name}
      </label>
    );
  if (p.type === 'string' || p.type === 'string_list')
    return (
      <Field label={p.name} id={id} hint={hint}>
        <input
          id={id}
          value={Array.isArray(value) ? value.join(', ') : String(value)}
          onChange={(e) =>
            onChange(
              p.type === 'string_list'
                ? e.target.value
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean)
                : e.target.value,
            )
          }
          aria-describedby={`${id}-hint`}
        />
      </Field>
    );
  return (
    <Field label={`${p.name}${p.unit ? ` (${p.unit})` : ''}`} id={id} hint={hint} error={problem}>
      <input
        id={id}
        type="number"
        step={p.type === 'integer' ? 1 : 'any'}
        min={p.floor}
        max={p.ceiling}
        value={typeof value === 'number' && !Number.isNaN(value) ? value : ''}
        onChange={(e) => onChange(e.target.value === '' ? NaN : Number(e.target.value))}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-hint${problem ? ` ${id}-error` : ''}`}
      />
    </Field>
  );
}

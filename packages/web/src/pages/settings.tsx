import { useState, type FormEvent, type ReactNode } from 'react';
import { useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type {
  ApiToken,
  CreatedApiToken,
  CreatedChannel,
  CreatedLogSource,
  LogSource,
  MemberRow,
  NotificationChannel,
} from '../api/types.ts';
import { Async, Empty, ErrorBox, Field, fmtDay, fmtTime, NotFound, PageTitle } from '../components/ui.tsx';
import { useMember, useSession } from '../session.tsx';

const ROLES_BY_KIND = {
  msp: ['msp_admin', 'msp_engineer', 'auditor'],
  customer: ['customer_admin', 'customer_member', 'auditor'],
};
const SOURCE_KINDS = [
  'linux_syslog',
  'windows_security',
  'entra_signin',
  'okta_system_log',
  'cef',
  'generic_json',
];
const SCOPES = [
  'org:read',
  'agreements:read',
  'logs:read',
  'logs:manage',
  'alerts:read',
  'alerts:manage',
  'evidence:read',
  'evidence:write',
  'inventory:manage',
  'audit:read',
];

/** A secret shown exactly once, with a copy button. */
function OnceSecret({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return (
    <div className="notice secret-once" role="status">
      <p>
        <strong>{label}</strong> It is shown only now: copy it to where it is needed.
      </p>
      <code className="secret" data-testid="secret-once">
        {value}
      </code>
      <div className="actions">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(value)}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function SettingsPage() {
  const { orgId = '' } = useParams();
  const m = useMember();
  if (orgId !== m.orgId) return <NotFound />;
  return (
    <>
      <PageTitle title={`Settings · ${m.orgName}`} />
      <Members orgId={orgId} />
      {m.can('logs:manage') && <Sources orgId={orgId} />}
      {m.can('alerts:manage') && <Channels orgId={orgId} />}
      {m.can('tokens:manage') && <Tokens />}
    </>
  );
}

function Members({ orgId }: { orgId: string }) {
  const m = useMember();
  const me = useSession().session?.user.id;
  const list = useLoad(`members:${orgId}`, (s) => api<MemberRow[]>(`/orgs/${orgId}/members`, { signal: s }));
  const [form, setForm] = useState({
    email: '',
    name: '',
    role: ROLES_BY_KIND[m.orgKind][1]!,
    password: '',
    expiresAt: '',
  });
  const add = useAction(async () => {
    await api(`/orgs/${orgId}/members`, {
      body: {
        email: form.email,
        name: form.name,
        role: form.role,
        ...(form.password ? { password: form.password } : {}),
        ...(form.role === 'auditor' && form.expiresAt
          ? { expiresAt: new Date(form.expiresAt).toISOString() }
          : {}),
      },
    });
    setForm((f) => ({ ...f, email: '', name: '', password: '' }));
    list.reload();
  });
  const remove = useAction(async (userId: string) => {
    await api(`/orgs/${orgId}/members/${userId}`, { method: 'DELETE' });
    list.reload();
  });
  const manage = m.can('users:manage');
  return (
    <Section id="members-title" title="Users and roles">
      <Async state={list} what="members">
        {(rows) => (
          <div className="table-scroll">
            <table className="compact">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">MFA</th>
                  <th scope="col">Status</th>
                  {manage && <th scope="col">Remove</th>}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.userId}>
                    <th scope="row">
                      {r.name} <span className="muted small">{r.email}</span>
                    </th>
                    <td>
                      {r.role}
                      {r.function ? ` (${r.function})` : ''}
                      {r.expiresAt ? `, until ${fmtDay(r.expiresAt)}` : ''}
                    </td>
                    <td>{r.mfaEnrolled === null ? '—' : r.mfaEnrolled ? 'enrolled' : 'not enrolled'}</td>
                    <td>{r.status}</td>
                    {manage && (
                      <td>
                        {r.userId !== me && (
                          <button
                            type="button"
                            disabled={remove.busy}
                            onClick={() => void remove.run(r.userId)}
                            aria-label={`Remove ${r.name}`}
                          >
                            Remove
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      {remove.error && <ErrorBox error={remove.error} />}
      {manage && (
        <form
          className="inline-form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void add.run();
          }}
        >
          <h3>Add a user</h3>
          <Field label="E-mail" id="m-email">
            <input
              id="m-email"
              type="email"
              required
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.target.value })}
            />
          </Field>
          <Field label="Name" id="m-name">
            <input
              id="m-name"
              required
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
          </Field>
          <Field label="Role" id="m-role">
            <select
              id="m-role"
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value })}
            >
              {ROLES_BY_KIND[m.orgKind].map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </Field>
          {form.role === 'auditor' && (
            <Field label="Access ends" id="m-exp">
              <input
                id="m-exp"
                type="date"
                required
                value={form.expiresAt}
                onChange={(e) => setForm({ ...form, expiresAt: e.target.value })}
              />
            </Field>
          )}
          <Field
            label="Initial password"
            id="m-pw"
            hint="For a new account: 12 characters or more. Leave empty to invite an existing account."
          >
            <input
              id="m-pw"
              type="password"
              autoComplete="new-password"
              minLength={12}
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </Field>
          {add.error && <ErrorBox error={add.error} />}
          <button type="submit" disabled={add.busy}>
            Add user
          </button>
        </form>
      )}
    </Section>
  );
}

function Sources({ orgId }: { orgId: string }) {
  const list = useLoad(`srcs:${orgId}`, (s) => api<LogSource[]>(`/orgs/${orgId}/sources`, { signal: s }));
  const [secret, setSecret] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', kind: 'linux_syslog', interval: '60' });
  const create = useAction(async () => {
    const s = await api<CreatedLogSource>(`/orgs/${orgId}/sources`, {
      body: { name: form.name, kind: form.kind, expectedIntervalMinutes: Number(form.interval) },
    });
    setSecret(s.ingestToken);
    setForm({ ...form, name: '' });
    list.reload();
  });
  const act = useAction(async (id: string, verb: 'rotate-token' | 'disable' | 'enable') => {
    const s = await api<CreatedLogSource | LogSource>(`/orgs/${orgId}/sources/${id}/${verb}`, {
      method: 'POST',
    });
    if ('ingestToken' in s) setSecret(s.ingestToken);
    list.reload();
  });
  return (
    <Section id="sources-title" title="Log sources and ingest tokens">
      {secret && <OnceSecret label="Ingest token." value={secret} onDone={() => setSecret(null)} />}
      <Async state={list} what="sources">
        {(rows) =>
          rows.length === 0 ? (
            <Empty>No sources yet.</Empty>
          ) : (
            <ul className="plain">
              {rows.map((s) => (
                <li key={s.id} className="row-between">
                  <span>
                    <strong>{s.name}</strong>{' '}
                    <span className="muted small">
                      {s.kind} · every {s.expectedIntervalMinutes} min · last {fmtTime(s.lastReceivedAt)}
                    </span>
                  </span>
                  <span className="actions">
                    <button type="button" onClick={() => void act.run(s.id, 'rotate-token')}>
                      New token
                    </button>
                    <button
                      type="button"
                      onClick={() => void act.run(s.id, s.disabledAt ? 'enable' : 'disable')}
                    >
                      {s.disabledAt ? 'Enable' : 'Disable'}
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      {act.error && <ErrorBox error={act.error} />}
      <form
        className="inline-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <h3>Add a source</h3>
        <Field label="Name" id="s-name">
          <input
            id="s-name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </Field>
        <Field label="Kind" id="s-kind">
          <select id="s-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            {SOURCE_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </Field>
        <Field label="Expected every (minutes)" id="s-int">
          <input
            id="s-int"
            type="number"
            min={1}
            max={10080}
            required
            value={form.interval}
            onChange={(e) => setForm({ ...form, interval: e.target.value })}
          />
        </Field>
        {create.error && <ErrorBox error={create.error} />}
        <button type="submit" disabled={create.busy}>
          Add source
        </button>
      </form>
    </Section>
  );
}

function Channels({ orgId }: { orgId: string }) {
  const list = useLoad(`channels:${orgId}`, (s) =>
    api<NotificationChannel[]>(`/orgs/${orgId}/notification-channels`, { signal: s }),
  );
  const [form, setForm] = useState({ kind: 'webhook', name: '', target: '', minLevel: 'medium' });
  const [secret, setSecret] = useState<string | null>(null);
  const add = useAction(async () => {
    const body =
      form.kind === 'webhook'
        ? { kind: 'webhook', name: form.name, url: form.target, minLevel: form.minLevel }
        : { kind: 'email', name: form.name, to: form.target, minLevel: form.minLevel };
    const c = await api<CreatedChannel>(`/orgs/${orgId}/notification-channels`, { body });
    if (c.secret) setSecret(c.secret);
    setForm({ ...form, name: '', target: '' });
    list.reload();
  });
  const remove = useAction(async (id: string) => {
    await api(`/orgs/${orgId}/notification-channels/${id}`, { method: 'DELETE' });
    list.reload();
  });
  return (
    <Section id="channels-title" title="Notification channels">
      {secret && <OnceSecret label="Webhook signing secret." value={secret} onDone={() => setSecret(null)} />}
      <Async state={list} what="channels">
        {(rows) =>
          rows.length === 0 ? (
            <Empty>No channels: alerts are only shown here.</Empty>
          ) : (
            <ul className="plain">
              {rows.map((c) => (
                <li key={c.id} className="row-between">
                  <span>
                    <strong>{c.name}</strong>{' '}
                    <span className="muted small">
                      {c.kind} · {c.url ?? c.to} · {c.minLevel} and above
                    </span>
                  </span>
                  <button
                    type="button"
                    onClick={() => void remove.run(c.id)}
                    aria-label={`Remove channel ${c.name}`}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      {remove.error && <ErrorBox error={remove.error} />}
      <form
        className="inline-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void add.run();
        }}
      >
        <h3>Add a channel</h3>
        <Field label="Kind" id="c-kind">
          <select id="c-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            <option value="webhook">Webhook</option>
            <option value="email">E-mail</option>
          </select>
        </Field>
        <Field label="Name" id="c-name">
          <input
            id="c-name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </Field>
        <Field label={form.kind === 'webhook' ? 'URL' : 'E-mail address'} id="c-target">
          <input
            id="c-target"
            type={form.kind === 'webhook' ? 'url' : 'email'}
            required
            value={form.target}
            onChange={(e) => setForm({ ...form, target: e.target.value })}
          />
        </Field>
        <Field label="Lowest level sent" id="c-level">
          <select
            id="c-level"
            value={form.minLevel}
            onChange={(e) => setForm({ ...form, minLevel: e.target.value })}
          >
            {['informational', 'low', 'medium', 'high', 'critical'].map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </Field>
        {add.error && <ErrorBox error={add.error} />}
        <button type="submit" disabled={add.busy}>
          Add channel
        </button>
      </form>
    </Section>
  );
}

function Tokens() {
  const list = useLoad('tokens', (s) => api<ApiToken[]>('/tokens', { signal: s }));
  const [secret, setSecret] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [scopes, setScopes] = useState<string[]>(['org:read']);
  const create = useAction(async () => {
    const t = await api<CreatedApiToken>('/tokens', { body: { name, scopes, expiresInDays: Number(days) } });
    setSecret(t.token);
    setName('');
    list.reload();
  });
  const revoke = useAction(async (id: string) => {
    await api(`/tokens/${id}/revoke`, { method: 'POST' });
    list.reload();
  });
  return (
    <Section id="tokens-title" title="API tokens">
      {secret && <OnceSecret label="API token." value={secret} onDone={() => setSecret(null)} />}
      <Async state={list} what="tokens">
        {(rows) =>
          rows.length === 0 ? (
            <Empty>No API tokens.</Empty>
          ) : (
            <ul className="plain">
              {rows.map((t) => (
                <li key={t.id} className="row-between">
                  <span>
                    <strong>{t.name}</strong>{' '}
                    <span className="muted small">
                      {t.scopes.join(', ')} · expires {fmtDay(t.expiresAt)}
                      {t.revokedAt ? ` · revoked ${fmtDay(t.revokedAt)}` : ''}
                    </span>
                  </span>
                  {!t.revokedAt && (
                    <button
                      type="button"
                      onClick={() => void revoke.run(t.id)}
                      aria-label={`Revoke token ${t.name}`}
                    >
                      Revoke
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      {revoke.error && <ErrorBox error={revoke.error} />}
      <form
        className="inline-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <h3>Create a token</h3>
        <Field label="Name" id="t-name">
          <input id="t-name" required value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Valid for (days)" id="t-days">
          <input
            id="t-days"
            type="number"
            min={1}
            max={365}
            required
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => setScopes((x) => (e.target.checked ? [...x, s] : x.filter((y) => y !== s)))}
              />
              {s}
            </label>
          ))}
        </fieldset>
        {create.error && <ErrorBox error={create.error} />}
        <button type="submit" disabled={create.busy || scopes.length === 0}>
          Create token
        </button>
      </form>
    </Section>
  );
}

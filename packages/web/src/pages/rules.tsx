import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { api } from '../api/client.ts';
import { useAction, useLoad } from '../api/use-api.ts';
import type { DetectionRule } from '../api/types.ts';
import { Async, Empty, ErrorBox, Field, PageTitle } from '../components/ui.tsx';
import { OrgTabs } from '../components/layout.tsx';
import { useMember } from '../session.tsx';

const TIMESPAN = /^\d{1,6}[smhd]$/;
const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];

export function RulesPage() {
  const { orgId = '' } = useParams();
  const m = useMember();
  const state = useLoad(`rules:${orgId}`, (s) => api<DetectionRule[]>(`/orgs/${orgId}/rules`, { signal: s }));
  const [editing, setEditing] = useState<string | null>(null);
  const toggle = useAction(async (r: DetectionRule) => {
    await api(`/orgs/${orgId}/rules/${encodeURIComponent(r.ruleId)}/settings`, {
      method: 'PUT',
      body: { enabled: !r.enabled },
    });
    state.reload();
  });
  const canManage = m.can('rules:manage');
  return (
    <>
      <OrgTabs orgId={orgId} />
      <PageTitle title="Detection rules" />
      {toggle.error && <ErrorBox error={toggle.error} />}
      <Async state={state} what="rules">
        {(rules) =>
          rules.length === 0 ? (
            <Empty>No rules.</Empty>
          ) : (
            <div className="table-scroll card">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Rule</th>
                    <th scope="col">Level</th>
                    <th scope="col">Tuning</th>
                    <th scope="col">Enabled</th>
                    {canManage && <th scope="col">Edit</th>}
                  </tr>
                </thead>
                <tbody>
                  {rules.map((r) => (
                    <tr key={r.ruleId}>
                      <th scope="row">
                        {r.title}
                        <div className="muted small">
                          {r.ruleId} · {r.kind} · {r.origin}
                        </div>
                        {editing === r.ruleId && (
                          <TuneForm
                            orgId={orgId}
                            rule={r}
                            onDone={() => (setEditing(null), state.reload())}
                          />
                        )}
                      </th>
                      <td>{r.tuning.level ?? r.level ?? '—'}</td>
                      <td className="small">
                        {[
                          r.tuning.timespan && `timespan ${r.tuning.timespan}`,
                          r.tuning.threshold && `threshold ${r.tuning.threshold}`,
                        ]
                          .filter(Boolean)
                          .join(', ') || '—'}
                      </td>
                      <td>
                        <label className="switch">
                          <input
                            type="checkbox"
                            checked={r.enabled}
                            disabled={!canManage || toggle.busy}
                            onChange={() => void toggle.run(r)}
                            aria-label={`${r.title} enabled`}
                          />
                          {r.enabled ? 'on' : 'off'}
                        </label>
                      </td>
                      {canManage && (
                        <td>
                          <button
                            type="button"
                            onClick={() => setEditing(editing === r.ruleId ? null : r.ruleId)}
                            aria-expanded={editing === r.ruleId}
                          >
                            {editing === r.ruleId ? 'Close' : 'Tune'}
                          </button>
                        </td>
                      )}
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

function TuneForm({ orgId, rule, onDone }: { orgId: string; rule: DetectionRule; onDone: () => void }) {
  const [timespan, setTimespan] = useState(rule.tuning.timespan ?? '');
  const [threshold, setThreshold] = useState(rule.tuning.threshold?.toString() ?? '');
  const [level, setLevel] = useState(rule.tuning.level ?? '');
  const tsError = timespan && !TIMESPAN.test(timespan) ? 'a Sigma timespan such as 5m, 1h or 2d' : null;
  const n = Number(threshold);
  const thError =
    threshold && (!Number.isInteger(n) || n < 1 || n > 1_000_000)
      ? 'a whole number from 1 to 1,000,000'
      : null;
  const save = useAction(async () => {
    await api(`/orgs/${orgId}/rules/${encodeURIComponent(rule.ruleId)}/settings`, {
      method: 'PUT',
      body: { timespan: timespan || null, threshold: threshold ? n : null, level: level || null },
    });
    onDone();
  });
  const id = rule.ruleId.replace(/[^a-z0-9]/gi, '-');
  return (
    <form
      className="tune"
      onSubmit={(e) => {
        e.preventDefault();
        if (!tsError && !thError) void save.run();
      }}
    >
      <Field
        label="Timespan"
        id={`${id}-ts`}
        error={tsError}
        hint="Correlation window; empty = the rule's own"
      >
        <input
          id={`${id}-ts`}
          value={timespan}
          onChange={(e) => setTimespan(e.target.value)}
          aria-invalid={!!tsError}
        />
      </Field>
      <Field label="Threshold" id={`${id}-th`} error={thError}>
        <input
          id={`${id}-th`}
          inputMode="numeric"
          value={threshold}
          onChange={(e) => setThreshold(e.target.value)}
          aria-invalid={!!thError}
        />
      </Field>
      <Field label="Level" id={`${id}-lv`}>
        <select id={`${id}-lv`} value={level} onChange={(e) => setLevel(e.target.value)}>
          <option value="">the rule's own</option>
          {LEVELS.map((l) => (
            <option key={l}>{l}</option>
          ))}
        </select>
      </Field>
      {save.error && <ErrorBox error={save.error} />}
      <button type="submit" className="primary" disabled={save.busy || !!tsError || !!thError}>
        Save tuning
      </button>
    </form>
  );
}

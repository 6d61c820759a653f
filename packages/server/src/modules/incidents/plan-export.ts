import type { PlanContent } from '@accord/contracts';
import type { AgreedHours } from './deadlines.ts';
import type { Person } from './ir-access.ts';
import { roleLabel } from './plan-rules.ts';

/**
 * A plan version as a printable document: the hard copy the advisory asks to keep off-line, so it
 * holds everything needed when Accord (or the network) is down: names, out-of-band contacts,
 * escalation order, deadlines and playbook steps. HTML is self-contained (no external resources)
 * with print styles; every value from the plan is escaped.
 */
export interface PlanDoc {
  planId: string;
  kind: string;
  version: number;
  state: string;
  digest: string;
  approvedAt: string | null;
  approvals: { orgId: string; userLabel: string; approvedAt: string }[];
  content: PlanContent;
  people: Person[];
  orgName: string;
  orgNames: Map<string, string>;
  agreed: AgreedHours[];
}

const KIND = { incident_response: 'Incident response plan', recovery: 'Recovery plan' } as Record<
  string,
  string
>;

function model(d: PlanDoc) {
  const person = (id: string | null | undefined) => {
    if (!id) return '-';
    const p = d.people.find((x) => x.userId === id);
    return p
      ? `${p.name} <${p.email}> (${d.orgNames.get(p.orgId) ?? p.orgId})`
      : `${id} (no longer a member)`;
  };
  const c = d.content;
  const tree = [...c.contactTree].sort((a, b) => a.escalationOrder - b.escalationOrder);
  const sections: { title: string; head: string[]; rows: string[][]; empty: string }[] = [
    {
      title: 'Severity scale',
      head: ['Level', 'Meaning'],
      rows: c.severityScale.map((s) => [s.level, s.description]),
      empty: 'No severity scale.',
    },
    {
      title: 'Roles and responsibilities',
      head: ['Role', 'Person', 'Deputy', 'Responsibilities'],
      rows: c.roles.map((r) => [
        roleLabel(r.role),
        person(r.userId),
        person(r.deputyUserId),
        r.responsibilities ?? '-',
      ]),
      empty: 'No roles named.',
    },
    {
      title: 'Contact tree (call in this order)',
      head: ['Order', 'Person', 'Out-of-band contacts', 'Notes'],
      rows: tree.map((t) => [
        String(t.escalationOrder),
        person(t.userId),
        t.outOfBand.map((o) => `${o.kind}: ${o.value}`).join('; '),
        t.notes ?? '-',
      ]),
      empty: 'No contact tree.',
    },
    {
      title: 'External contacts',
      head: ['Name', 'Purpose', 'Phone', 'E-mail'],
      rows: c.externalContacts.map((e) => [e.name, e.purpose, e.phone ?? '-', e.email ?? '-']),
      empty: 'None.',
    },
    {
      title: 'Notification duties',
      head: ['Notify', 'Within', 'From severity', 'Duty'],
      rows: [
        ...d.agreed.map((a) => [
          'customer',
          `${a.hours} h`,
          'any',
          `Agreement ${a.agreementId}, ${a.controlId} incident_notification_hours (in force)`,
        ]),
        ...c.notificationDuties.map((n) => [n.recipient, `${n.withinHours} h`, n.minSeverity, n.description]),
      ],
      empty: 'None.',
    },
    {
      title: 'Recovery objectives',
      head: ['System', 'RTO', 'RPO', 'Notes'],
      rows: c.recoveryObjectives.map((r) => [r.system, `${r.rtoHours} h`, `${r.rpoHours} h`, r.notes ?? '-']),
      empty: 'None.',
    },
  ];
  return { person, sections };
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderPlanMarkdown(d: PlanDoc): string {
  const { sections } = model(d);
  const c = d.content;
  const out: string[] = [
    `# ${KIND[d.kind] ?? d.kind}: ${c.title}`,
    '',
    `- **Organisation:** ${d.orgName}`,
    `- **Plan:** ${d.planId}, version ${d.version} (${d.state})`,
    `- **Approved:** ${d.approvedAt ?? 'not approved'}`,
    `- **Digest (SHA-256):** \`${d.digest}\``,
    `- **Exercised every:** ${c.exerciseCadenceDays} days`,
    `- **Hard copy kept at:** ${c.hardCopyLocation ?? 'not stated'}`,
    '',
    '## Approvals',
    '',
    ...(d.approvals.length
      ? d.approvals.map((a) => `- ${d.orgNames.get(a.orgId) ?? a.orgId}: ${a.userLabel} at ${a.approvedAt}`)
      : ['None yet.']),
    '',
    '## Scope',
    '',
    c.scope,
  ];
  for (const s of sections) {
    out.push('', `## ${s.title}`, '');
    if (s.rows.length === 0) out.push(s.empty);
    else
      out.push(
        `| ${s.head.join(' | ')} |`,
        `|${s.head.map(() => '---').join('|')}|`,
        ...s.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
      );
  }
  out.push('', '## Playbooks');
  if (c.playbooks.length === 0) out.push('', 'None.');
  for (const p of c.playbooks) {
    out.push('', `### ${p.title} (${p.incidentType})`, '');
    p.steps.forEach((s, i) =>
      out.push(`${i + 1}. ${s.role ? `**${roleLabel(s.role)}:** ` : ''}${s.text.replace(/\r?\n/g, ' ')}`),
    );
  }
  out.push('');
  return out.join('\n');
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#111}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}td,th{border:1px solid #999;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#eee}code{word-break:break-all}h2{border-bottom:1px solid #999;margin-top:1.5rem}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}tr,li{break-inside:avoid}.playbook{break-inside:avoid}a{color:inherit;text-decoration:none}}
@page{margin:1.5cm}`;

export function renderPlanHtml(d: PlanDoc): string {
  const { sections } = model(d);
  const c = d.content;
  const table = (s: (typeof sections)[number]) =>
    s.rows.length === 0
      ? `<p>${esc(s.empty)}</p>`
      : `<table><thead><tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.rows
          .map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`)
          .join('\n')}</tbody></table>`;
  const approvals = d.approvals.length
    ? d.approvals
        .map(
          (a) =>
            `<li>${esc(d.orgNames.get(a.orgId) ?? a.orgId)}: ${esc(a.userLabel)} at ${esc(a.approvedAt)}</li>`,
        )
        .join('')
    : '<li>None yet.</li>';
  const playbooks = c.playbooks.length
    ? c.playbooks
        .map(
          (p) =>
            `<section class="playbook"><h3>${esc(p.title)} (${esc(p.incidentType)})</h3><ol>${p.steps
              .map(
                (s) =>
                  `<li>${s.role ? `<strong>${esc(roleLabel(s.role))}:</strong> ` : ''}${esc(s.text)}</li>`,
              )
              .join('')}</ol></section>`,
        )
        .join('\n')
    : '<p>None.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(KIND[d.kind] ?? d.kind)}: ${esc(c.title)}</title>
<style>${CSS}</style>
</head><body>
<h1>${esc(KIND[d.kind] ?? d.kind)}: ${esc(c.title)}</h1>
<dl><dt>Organisation</dt><dd>${esc(d.orgName)}</dd><dt>Plan</dt><dd>${esc(d.planId)}, version ${d.version} (${esc(d.state)})</dd>
<dt>Approved</dt><dd>${esc(d.approvedAt ?? 'not approved')}</dd><dt>Digest (SHA-256)</dt><dd><code>${esc(d.digest)}</code></dd>
<dt>Exercised every</dt><dd>${c.exerciseCadenceDays} days</dd><dt>Hard copy kept at</dt><dd>${esc(c.hardCopyLocation ?? 'not stated')}</dd></dl>
<h2>Approvals</h2><ul>${approvals}</ul>
<h2>Scope</h2><p>${esc(c.scope)}</p>
${sections.map((s) => `<h2>${esc(s.title)}</h2>\n${table(s)}`).join('\n')}
<h2>Playbooks</h2>
${playbooks}
</body></html>
`;
}

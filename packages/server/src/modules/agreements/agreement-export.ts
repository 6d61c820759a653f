import type { AgreementContent } from '@accord/contracts';
import { canonicalJson, digestOf } from '../../platform/canonical-json.ts';
import type { VersionView } from './agreements.service.ts';

/**
 * A version as a contract schedule. Every export embeds the version's canonical JSON and states its
 * digest, so `accord agreement verify FILE` can recompute the SHA-256 from the file alone.
 */
const MD_FENCE = '```json accord-agreement';
const HTML_SCRIPT_ID = 'accord-agreement';
const OWNERS = ['msp', 'customer', 'shared'] as const;
const OWNER_LABEL = { msp: 'MSP', customer: 'Customer', shared: 'Shared' } as const;

interface ExportModel {
  content: AgreementContent;
  digest: string;
  state: string;
  effective: string | null;
  acceptances: { party: string; by: string; at: string; digest: string }[];
}

function model(v: VersionView): ExportModel {
  return {
    content: v.content,
    digest: v.digest ?? digestOf(v.content),
    state: v.state,
    effective: v.activated_at ? new Date(v.activated_at).toISOString() : null,
    acceptances: v.acceptances.map((x) => ({
      party: x.party,
      by: x.user_label,
      at: new Date(x.accepted_at).toISOString(),
      digest: x.digest,
    })),
  };
}

const fmtParams = (p: Record<string, unknown>) =>
  Object.entries(p)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) // key order as in canonical JSON, so re-rendering matches
    .map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join('; ') || '-';

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The human-readable terms, rendered from the content alone. `verifyExport` renders them again
 * and checks the file holds exactly this text, so an edited table is caught even when the
 * machine-readable JSON was left alone.
 */
function markdownTerms(c: AgreementContent): string {
  const lines: string[] = [];
  lines.push(
    '## Responsibility matrix',
    '',
    '| Control | Title | MSP | Customer | Shared |',
    '|---|---|:-:|:-:|:-:|',
  );
  for (const x of c.controls) {
    lines.push(
      `| ${x.controlId} | ${mdCell(x.title)} | ${OWNERS.map((o) => (x.owner === o ? 'X' : '')).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    '## Targets, verification and notification',
    '',
    '| Control | Owner | Parameters | Verification | Cadence | Notify within |',
    '|---|---|---|---|---|---|',
  );
  for (const x of c.controls) {
    lines.push(
      `| ${x.controlId} | ${OWNER_LABEL[x.owner]} | ${mdCell(fmtParams(x.parameters))} | ${x.verification} | ${x.cadence} | ${x.notificationSlaHours} h |`,
    );
  }
  const overrides = c.controls.flatMap((x) => x.overrides.map((o) => ({ id: x.controlId, ...o })));
  lines.push('', '## Overrides below the catalog floor', '');
  if (overrides.length === 0) lines.push('None: every parameter meets its catalog floor.');
  for (const o of overrides) {
    lines.push(
      `- **${o.id} ${o.parameter} = ${String(o.value)}** (catalog limit ${o.limit}), recorded by ${o.recordedBy}: ${o.justification}`,
    );
  }
  return lines.join('\n');
}

export function renderMarkdown(v: VersionView): string {
  const m = model(v);
  const c = m.content;
  const lines: string[] = [];
  lines.push(`# Security schedule: ${c.title}`, '');
  lines.push(`- **Agreement:** ${c.agreementId}`);
  lines.push(`- **Version:** ${c.version} (${m.state})`);
  lines.push(`- **MSP:** ${c.msp.name} (${c.msp.id})`);
  lines.push(`- **Customer:** ${c.customer.name} (${c.customer.id})`);
  lines.push(`- **Control catalog:** ${c.catalog.id} ${c.catalog.version}`);
  lines.push(`- **Effective date:** ${m.effective ?? 'not in force (not accepted by both parties)'}`);
  lines.push(`- **Digest (SHA-256):** \`${m.digest}\``, '');
  lines.push('## Acceptances', '');
  if (m.acceptances.length === 0) lines.push('None yet.', '');
  for (const a of m.acceptances)
    lines.push(`- ${a.party === 'msp' ? 'MSP' : 'Customer'}: ${a.by} at ${a.at}, digest \`${a.digest}\``);
  lines.push('', markdownTerms(c));
  lines.push(
    '',
    '## Machine-readable version',
    '',
    'The digest above is the SHA-256 of exactly this canonical JSON.',
    '',
    MD_FENCE,
    canonicalJson(c),
    '```',
    '',
  );
  return lines.join('\n');
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

function htmlTerms(c: AgreementContent): string {
  const rows = c.controls
    .map(
      (x) =>
        `<tr><td>${esc(x.controlId)}</td><td>${esc(x.title)}</td>${OWNERS.map((o) => `<td class="c">${x.owner === o ? '&#10003;' : ''}</td>`).join('')}<td>${esc(fmtParams(x.parameters))}</td><td>${esc(x.verification)}</td><td>${esc(x.cadence)}</td><td>${x.notificationSlaHours} h</td></tr>`,
    )
    .join('\n');
  const overrides = c.controls.flatMap((x) => x.overrides.map((o) => ({ id: x.controlId, ...o })));
  return `<h2>Responsibility matrix, targets and verification</h2>
<table><thead><tr><th>Control</th><th>Title</th><th>MSP</th><th>Customer</th><th>Shared</th><th>Parameters</th><th>Verification</th><th>Cadence</th><th>Notify within</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Overrides below the catalog floor</h2>
<ul>${overrides.map((o) => `<li><strong>${esc(o.id)} ${esc(o.parameter)} = ${esc(String(o.value))}</strong> (catalog limit ${o.limit}), recorded by ${esc(o.recordedBy)}: ${esc(o.justification)}</li>`).join('') || '<li>None: every parameter meets its catalog floor.</li>'}</ul>`;
}

export function renderHtml(v: VersionView): string {
  const m = model(v);
  const c = m.content;
  const acc = m.acceptances
    .map(
      (a) =>
        `<li>${a.party === 'msp' ? 'MSP' : 'Customer'}: ${esc(a.by)} at ${esc(a.at)}, digest <code>${esc(a.digest)}</code></li>`,
    )
    .join('');
  // `<` is escaped inside the JSON so the content can never close the script element.
  const json = canonicalJson(c).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Security schedule: ${esc(c.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top}th{background:#eee}.c{text-align:center}code{word-break:break-all}</style>
</head><body>
<h1>Security schedule: ${esc(c.title)}</h1>
<dl><dt>Agreement</dt><dd>${esc(c.agreementId)}</dd><dt>Version</dt><dd>${c.version} (${esc(m.state)})</dd>
<dt>MSP</dt><dd>${esc(c.msp.name)}</dd><dt>Customer</dt><dd>${esc(c.customer.name)}</dd>
<dt>Control catalog</dt><dd>${esc(c.catalog.id)} ${esc(c.catalog.version)}</dd>
<dt>Effective date</dt><dd>${esc(m.effective ?? 'not in force (not accepted by both parties)')}</dd>
<dt>Digest (SHA-256)</dt><dd><code id="accord-digest" data-digest="${m.digest}">${m.digest}</code></dd></dl>
<h2>Acceptances</h2><ul>${acc || '<li>None yet.</li>'}</ul>
${htmlTerms(c)}
<script type="application/json" id="${HTML_SCRIPT_ID}">${json}</script>
</body></html>
`;
}

export function renderJson(v: VersionView): string {
  const m = model(v);
  return (
    JSON.stringify(
      {
        digest: m.digest,
        state: m.state,
        effective: m.effective,
        acceptances: m.acceptances,
        content: m.content,
      },
      null,
      2,
    ) + '\n'
  );
}

export interface ExportVerification {
  ok: boolean;
  format: 'markdown' | 'html' | 'json';
  statedDigest: string | null;
  computedDigest: string;
  acceptancesMatch: boolean;
  termsMatch: boolean;
  message: string;
}

/** Recomputes the digest of an exported version and compares it with what the file states. */
export function verifyExport(text: string): ExportVerification {
  let format: ExportVerification['format'];
  let contentJson: string;
  let stated: string | null;
  let accepted: string[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    format = 'json';
    const doc = JSON.parse(text) as {
      digest?: string;
      content?: unknown;
      acceptances?: { digest: string }[];
    };
    if (!doc.content) throw new Error('the JSON export has no "content"');
    contentJson = JSON.stringify(doc.content);
    stated = doc.digest ?? null;
    accepted = (doc.acceptances ?? []).map((a) => a.digest);
  } else if (/<script type="application\/json" id="accord-agreement">/.test(text)) {
    format = 'html';
    const m = /<script type="application\/json" id="accord-agreement">([\s\S]*?)<\/script>/.exec(text);
    contentJson = m![1]!;
    stated = /data-digest="([0-9a-f]{64})"/.exec(text)?.[1] ?? null;
    accepted = [...text.matchAll(/<li>(?:MSP|Customer):[^<]*digest <code>([0-9a-f]{64})<\/code><\/li>/g)].map(
      (x) => x[1]!,
    );
  } else if (text.includes(MD_FENCE)) {
    format = 'markdown';
    const start = text.indexOf(MD_FENCE) + MD_FENCE.length;
    const end = text.indexOf('\n```', start);
    if (end < 0) throw new Error('the machine-readable block is not closed');
    contentJson = text.slice(start, end);
    stated = /\*\*Digest \(SHA-256\):\*\* `([0-9a-f]{64})`/.exec(text)?.[1] ?? null;
    accepted = [...text.matchAll(/^- (?:MSP|Customer): .* digest `([0-9a-f]{64})`$/gm)].map((x) => x[1]!);
  } else {
    throw new Error('this file is not an Accord agreement export (no machine-readable version found)');
  }
  const content = JSON.parse(contentJson) as AgreementContent;
  const computed = digestOf(content);
  const acceptancesMatch = accepted.every((d) => d === computed);
  // The readable terms must be exactly what the content renders to (JSON exports have none).
  const termsMatch =
    format === 'json' || text.includes(format === 'html' ? htmlTerms(content) : markdownTerms(content));
  const ok = stated === computed && acceptancesMatch && termsMatch;
  const message = ok
    ? `digest ${computed} verified (${accepted.length} acceptance(s) of this digest)`
    : stated !== computed
      ? `digest mismatch: the file states ${stated ?? '(none)'} but its content hashes to ${computed}`
      : !termsMatch
        ? 'the readable terms in the file differ from its machine-readable content (edited)'
        : 'an acceptance in the file names a different digest than the content';
  return {
    ok,
    format,
    statedDigest: stated,
    computedDigest: computed,
    acceptancesMatch,
    termsMatch,
    message,
  };
}

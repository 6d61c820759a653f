import { topRisks, type ReportData, type Status } from './report-data.ts';

/**
 * The assurance report as one self-contained HTML file: no script, no external resource, every
 * value escaped (alert summaries and evidence titles can carry attacker-controlled text), print CSS
 * so the browser's "print to PDF" matches, and the trend chart as inline SVG.
 */

export const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export const STATUS_LABEL: Record<Status, string> = {
  pass: 'Met',
  partial: 'Partly met',
  fail: 'Not met',
  unknown: 'Unknown',
  error: 'Error',
};
/** Colours with at least 4.5:1 contrast against white text. */
export const STATUS_COLOUR: Record<Status, string> = {
  pass: '#1a7f37',
  partial: '#9a6700',
  fail: '#cf222e',
  unknown: '#57606a',
  error: '#8250df',
};

const kv = (o: Record<string, unknown>) =>
  Object.keys(o).length
    ? Object.entries(o)
        .map(([k, v]) => `${esc(k)} = ${esc(JSON.stringify(v))}`)
        .join('<br>')
    : '—';
const day = (s: string | null) => (s ? s.slice(0, 10) : '—');

/** Controls met over the period, as a line chart (SVG, 640x200). */
export function trendSvg(d: ReportData): string {
  const pts = d.trend;
  const W = 640;
  const H = 200;
  const pad = 36;
  if (!pts.length)
    return `<svg role="img" aria-label="No daily points in this period" width="${W}" height="60" viewBox="0 0 ${W} 60"><text x="8" y="34" font-size="14">No daily verification points in this period.</text></svg>`;
  const max = Math.max(...pts.map((p) => p.total), 1);
  const x = (i: number) => pad + (pts.length === 1 ? 0 : (i * (W - 2 * pad)) / (pts.length - 1));
  const y = (n: number) => H - pad - (n * (H - 2 * pad)) / max;
  const line = pts.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.met).toFixed(1)}`).join(' ');
  const total = pts.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.total).toFixed(1)}`).join(' ');
  const last = pts[pts.length - 1]!;
  return `<svg role="img" aria-label="Controls met per day, from ${esc(pts[0]!.day)} (${pts[0]!.met} of ${pts[0]!.total}) to ${esc(last.day)} (${last.met} of ${last.total})" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#57606a"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#57606a"/>
<text x="4" y="${y(max) + 4}" font-size="11">${max}</text><text x="4" y="${H - pad + 4}" font-size="11">0</text>
<text x="${pad}" y="${H - 12}" font-size="11">${esc(pts[0]!.day)}</text><text x="${W - pad}" y="${H - 12}" font-size="11" text-anchor="end">${esc(last.day)}</text>
<path d="${total}" fill="none" stroke="#8c959f" stroke-dasharray="4 3"/>
<path d="${line}" fill="none" stroke="#1a7f37" stroke-width="2"/>
</svg>`;
}

const badge = (s: Status) =>
  `<span class="badge" style="background:${STATUS_COLOUR[s]}">${STATUS_LABEL[s]}</span>`;

export function renderReportHtml(d: ReportData, signer: { keyId: string; publicKey: string }): string {
  const met = d.counts.pass;
  const total = d.controls.length;
  const risks = topRisks(d);
  const rows = d.controls
    .map(
      (
        c,
      ) => `<tr><td>${esc(c.controlId)}</td><td>${esc(c.title)}</td><td>${esc(c.owner)}</td><td>${badge(c.status)}</td>
<td>${esc(c.reason)}</td><td>${kv(c.observed)}</td><td>${kv(c.expected)}</td>
<td>${c.evidence.map((e) => esc(e.summary || e.type)).join('<br>') || '—'}</td><td>${day(c.dataAt)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assurance report: ${esc(d.customer.name)} — ${esc(day(d.period.from))} to ${esc(day(d.period.to))}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:2rem auto;max-width:1100px;padding:0 1rem;line-height:1.45}
h1{font-size:1.8rem;margin:.2rem 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border:1px solid #d0d7de;padding:.35rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.badge{color:#fff;border-radius:3px;padding:0 .4rem;white-space:nowrap}
.cover{border:2px solid #1f2328;padding:1.5rem;margin-bottom:2rem}.muted{color:#57606a}.mono{font-family:ui-monospace,monospace;word-break:break-all}
.big{font-size:2.2rem;font-weight:700}
@media print{body{margin:0;max-width:none}.cover{page-break-after:always}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
</style></head><body>
<section class="cover" aria-label="Cover">
<p class="muted">Accord assurance report</p>
<h1>${esc(d.customer.name)}</h1>
<p>Managed service provider: <strong>${esc(d.msp.name)}</strong></p>
<p>Period: <strong>${esc(day(d.period.from))}</strong> to <strong>${esc(day(d.period.to))}</strong> (generated ${esc(d.generatedAt)})</p>
<p>Agreement: ${esc(d.agreement.title)}, version ${d.agreement.version} (catalog ${esc(d.agreement.catalogVersion)})</p>
<p>Agreement digest: <span class="mono">${esc(d.agreement.digest ?? 'none')}</span></p>
<p>Signed with Ed25519 key <span class="mono">${esc(signer.keyId)}</span> (public key <span class="mono">${esc(signer.publicKey)}</span>); check with <code>accord report verify FILE</code>.</p>
</section>
<h2>Executive summary</h2>
<p><span class="big">${met} of ${total}</span> controls met. ${d.counts.partial} partly met, ${d.counts.fail} not met, ${d.counts.unknown} unknown, ${d.counts.error} in error.</p>
<figure>${trendSvg(d)}<figcaption class="muted">Controls met per day (solid) of those evaluated (dashed).</figcaption></figure>
<h3>Top risks</h3>
${risks.length ? `<ol>${risks.map((c) => `<li>${badge(c.status)} <strong>${esc(c.controlId)}</strong> ${esc(c.title)}: ${esc(c.reason)}</li>`).join('')}</ol>` : '<p>None: every control is met.</p>'}
<h2>Controls</h2>
<table><thead><tr><th scope="col">Control</th><th scope="col">Title</th><th scope="col">Owner</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Observed</th><th scope="col">Expected</th><th scope="col">Evidence</th><th scope="col">Data of</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Evidence on file</h2>
${d.evidenceFiles.length ? `<table><thead><tr><th scope="col">Control</th><th scope="col">Title</th><th scope="col">SHA-256 or link</th><th scope="col">Effective</th><th scope="col">Expires</th></tr></thead><tbody>${d.evidenceFiles.map((e) => `<tr><td>${esc(e.controlId)}</td><td>${esc(e.title)}</td><td class="mono">${esc(e.sha256 ?? e.url)}</td><td>${day(e.effectiveAt)}</td><td>${day(e.expiresAt)}</td></tr>`).join('')}</tbody></table>` : '<p>No evidence files or links on file.</p>'}
<h2>Detections</h2>
<p>${d.alerts.total} alerts raised in the period; ${d.alerts.open} still open or acknowledged. By severity: ${
    Object.entries(d.alerts.byLevel)
      .map(([k, n]) => `${esc(k)} ${n}`)
      .join(', ') || 'none'
  }.</p>
${d.alerts.topRules.length ? `<table><thead><tr><th scope="col">Rule</th><th scope="col">Title</th><th scope="col">Alerts</th></tr></thead><tbody>${d.alerts.topRules.map((r) => `<tr><td>${esc(r.ruleId)}</td><td>${esc(r.title)}</td><td>${r.count}</td></tr>`).join('')}</tbody></table>` : ''}
<h2>Log coverage and integrity</h2>
<p>The store holds ${d.retention.daysHeld} days of events against ${d.retention.requiredDays} required (${d.retention.reachesRequired ? 'reached' : 'not yet reached'}).
Seal chain over the period: <strong>${d.seals.ok ? 'intact' : 'BROKEN'}</strong> (${d.seals.batches} batches, ${d.seals.events} events${d.seals.ok ? '' : `; first broken batch ${d.seals.firstBrokenSeq}: ${esc(d.seals.reason)}`}).</p>
${d.coverage.length ? `<table><thead><tr><th scope="col">Source</th><th scope="col">Kind</th><th scope="col">Oldest event</th><th scope="col">Events held</th><th scope="col">Silent</th></tr></thead><tbody>${d.coverage.map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.kind)}</td><td>${day(s.oldestEvent)}</td><td>${s.eventsHeld}</td><td>${s.silent ? 'yes' : 'no'}</td></tr>`).join('')}</tbody></table>` : '<p>No log sources.</p>'}
</body></html>`;
}

import PDFDocument from 'pdfkit';
import type { Status } from './report-data.ts';
import { esc, STATUS_COLOUR } from './report-html.ts';

/** The MSP's portfolio report: every customer agreement with its controls met, worst first. */
export interface PortfolioRow {
  agreementId: string;
  title: string;
  customerOrgId: string;
  customer?: string;
  counts: Record<Status, number>;
  total: number;
}
type Meta = { msp: string; generatedAt: string };
type Signer = { keyId: string; publicKey: string };

const pct = (r: PortfolioRow) => (r.total ? Math.round((100 * r.counts.pass) / r.total) : 0);

export function renderPortfolioHtml(m: Meta, rows: PortfolioRow[], s: Signer): string {
  const met = rows.reduce((n, r) => n + r.counts.pass, 0);
  const total = rows.reduce((n, r) => n + r.total, 0);
  const bar = (r: PortfolioRow) =>
    `<svg role="img" aria-label="${r.counts.pass} of ${r.total} met" width="200" height="14">${
      (['pass', 'partial', 'fail', 'unknown', 'error'] as Status[]).reduce<{ x: number; out: string }>(
        (acc, st) => {
          const w = r.total ? (200 * r.counts[st]) / r.total : 0;
          return {
            x: acc.x + w,
            out:
              acc.out +
              (w
                ? `<rect x="${acc.x.toFixed(1)}" width="${w.toFixed(1)}" height="14" fill="${STATUS_COLOUR[st]}"/>`
                : ''),
          };
        },
        { x: 0, out: '' },
      ).out
    }</svg>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portfolio report: ${esc(m.msp)}</title>
<style>body{font-family:system-ui,sans-serif;color:#1f2328;max-width:1100px;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem;text-align:left}th{background:#f6f8fa}.mono{font-family:ui-monospace,monospace;word-break:break-all}</style></head><body>
<h1>Portfolio report: ${esc(m.msp)}</h1>
<p>Generated ${esc(m.generatedAt)}. ${rows.length} customer agreements; ${met} of ${total} controls met across them.</p>
<p>Signed with Ed25519 key <span class="mono">${esc(s.keyId)}</span> (public key <span class="mono">${esc(s.publicKey)}</span>).</p>
<table><thead><tr><th scope="col">Customer</th><th scope="col">Agreement</th><th scope="col">Met</th><th scope="col">Partly</th><th scope="col">Not met</th><th scope="col">Unknown</th><th scope="col">Error</th><th scope="col">Share met</th></tr></thead><tbody>
${rows.map((r) => `<tr><td>${esc(r.customer)}</td><td>${esc(r.title)}</td><td>${r.counts.pass}</td><td>${r.counts.partial}</td><td>${r.counts.fail}</td><td>${r.counts.unknown}</td><td>${r.counts.error}</td><td>${bar(r)} ${pct(r)}%</td></tr>`).join('\n')}
</tbody></table></body></html>`;
}

export function renderPortfolioPdf(m: Meta, rows: PortfolioRow[], s: Signer): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Portfolio report: ${m.msp}`, Creator: 'Accord', CreationDate: new Date(m.generatedAt) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font('Helvetica-Bold').fontSize(20).text(`Portfolio report: ${m.msp}`).font('Helvetica').fontSize(10);
  doc
    .text(
      `Generated ${m.generatedAt}. ${rows.length} customer agreements. Signed with Ed25519 key ${s.keyId}.`,
    )
    .moveDown();
  for (const r of rows) {
    if (doc.y > doc.page.height - 80) doc.addPage();
    const y = doc.y;
    let x = 50;
    for (const st of ['pass', 'partial', 'fail', 'unknown', 'error'] as Status[]) {
      const w = r.total ? (120 * r.counts[st]) / r.total : 0;
      if (w) doc.rect(x, y + 2, w, 8).fill(STATUS_COLOUR[st]);
      x += w;
    }
    doc
      .fillColor('#1f2328')
      .text(
        `${r.customer ?? r.customerOrgId}: ${r.counts.pass} of ${r.total} met (${pct(r)}%), ${r.counts.fail} not met, ${r.counts.unknown} unknown`,
        180,
        y,
        { width: doc.page.width - 230 },
      );
    doc.x = 50;
    doc.moveDown(0.3);
  }
  doc.end();
  return done;
}

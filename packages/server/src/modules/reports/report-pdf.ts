import PDFDocument from 'pdfkit';
import { topRisks, type ReportData } from './report-data.ts';
import { STATUS_COLOUR, STATUS_LABEL } from './report-html.ts';

/**
 * The assurance report as PDF, drawn with pdfkit (pure JavaScript: no browser on the server). The
 * same sections as the HTML; the trend chart is drawn as vector lines. Text uses the PDF standard
 * fonts (Windows-1252 characters).
 */

const day = (s: string | null) => (s ? s.slice(0, 10) : '-');
const short = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')
    .slice(0, 160) || '-';

export function renderReportPdf(
  d: ReportData,
  signer: { keyId: string; publicKey: string },
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Assurance report: ${d.customer.name}`,
      Author: d.msp.name,
      Subject: `${day(d.period.from)} to ${day(d.period.to)}`,
      Creator: 'Accord',
      CreationDate: new Date(d.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const width = doc.page.width - 100;
  const h2 = (t: string) =>
    doc
      .moveDown(0.8)
      .font('Helvetica-Bold')
      .fontSize(14)
      .fillColor('#1f2328')
      .text(t)
      .font('Helvetica')
      .fontSize(10)
      .moveDown(0.3);

  // Cover
  doc.fontSize(11).fillColor('#57606a').text('Accord assurance report').moveDown(0.5);
  doc.fontSize(26).fillColor('#1f2328').font('Helvetica-Bold').text(d.customer.name).font('Helvetica');
  doc.moveDown().fontSize(12).text(`Managed service provider: ${d.msp.name}`);
  doc.text(`Period: ${day(d.period.from)} to ${day(d.period.to)} (generated ${d.generatedAt})`);
  doc.text(
    `Agreement: ${d.agreement.title}, version ${d.agreement.version} (catalog ${d.agreement.catalogVersion})`,
  );
  doc
    .moveDown()
    .fontSize(10)
    .text('Agreement digest:')
    .font('Courier')
    .text(d.agreement.digest ?? 'none')
    .font('Helvetica');
  doc
    .moveDown()
    .text(`Signed with Ed25519 key ${signer.keyId}; public key:`)
    .font('Courier')
    .text(signer.publicKey)
    .font('Helvetica');
  doc.text('Check the signature with: accord report verify FILE');

  // Executive summary with the trend chart
  doc.addPage();
  h2('Executive summary');
  doc
    .fontSize(20)
    .font('Helvetica-Bold')
    .text(`${d.counts.pass} of ${d.controls.length} controls met`)
    .font('Helvetica')
    .fontSize(10);
  doc.text(
    `${d.counts.partial} partly met, ${d.counts.fail} not met, ${d.counts.unknown} unknown, ${d.counts.error} in error.`,
  );
  doc.moveDown();
  const top = doc.y;
  const H = 140;
  const left = 80;
  const W = width - 40;
  doc
    .strokeColor('#57606a')
    .moveTo(left, top)
    .lineTo(left, top + H)
    .lineTo(left + W, top + H)
    .stroke();
  if (d.trend.length) {
    const max = Math.max(...d.trend.map((p) => p.total), 1);
    const x = (i: number) => left + (d.trend.length === 1 ? 0 : (i * W) / (d.trend.length - 1));
    const y = (n: number) => top + H - (n * H) / max;
    doc
      .fontSize(8)
      .fillColor('#1f2328')
      .text(String(max), 55, y(max) - 4)
      .text('0', 62, top + H - 4);
    doc.text(d.trend[0]!.day, left, top + H + 4).text(d.trend.at(-1)!.day, left + W - 50, top + H + 4);
    doc.strokeColor('#8c959f').dash(4, { space: 3 });
    d.trend.forEach((p, i) => (i ? doc.lineTo(x(i), y(p.total)) : doc.moveTo(x(i), y(p.total))));
    doc.stroke().undash().strokeColor('#1a7f37').lineWidth(2);
    d.trend.forEach((p, i) => (i ? doc.lineTo(x(i), y(p.met)) : doc.moveTo(x(i), y(p.met))));
    doc.stroke().lineWidth(1);
  } else doc.fontSize(10).text('No daily verification points in this period.', left + 10, top + H / 2);
  doc.x = 50;
  doc.y = top + H + 24;
  doc
    .fontSize(9)
    .fillColor('#57606a')
    .text('Controls met per day (solid) of those evaluated (dashed).')
    .fillColor('#1f2328');
  h2('Top risks');
  const risks = topRisks(d);
  if (!risks.length) doc.text('None: every control is met.');
  for (const c of risks)
    doc
      .fillColor(STATUS_COLOUR[c.status])
      .text(`${STATUS_LABEL[c.status]}  `, { continued: true })
      .fillColor('#1f2328')
      .text(`${c.controlId} ${c.title}: ${c.reason}`);

  h2('Controls');
  for (const c of d.controls) {
    if (doc.y > doc.page.height - 120) doc.addPage();
    doc
      .font('Helvetica-Bold')
      .fillColor(STATUS_COLOUR[c.status])
      .text(`${STATUS_LABEL[c.status]}  `, { continued: true });
    doc.fillColor('#1f2328').text(`${c.controlId}  ${c.title}`).font('Helvetica').fontSize(9);
    doc.text(`Owner ${c.owner}. ${c.reason}`, { indent: 12 });
    doc.text(`Observed: ${short(c.observed)}. Expected: ${short(c.expected)}. Data of ${day(c.dataAt)}.`, {
      indent: 12,
    });
    if (c.evidence.length)
      doc.text(
        `Evidence: ${c.evidence
          .map((e) => e.summary || e.type)
          .join('; ')
          .slice(0, 300)}`,
        { indent: 12 },
      );
    doc.fontSize(10).moveDown(0.3);
  }

  h2('Evidence on file');
  if (!d.evidenceFiles.length) doc.text('No evidence files or links on file.');
  for (const e of d.evidenceFiles)
    doc
      .fontSize(9)
      .text(`${e.controlId}  ${e.title}  (effective ${day(e.effectiveAt)}, expires ${day(e.expiresAt)})`)
      .font('Courier')
      .text(e.sha256 ?? e.url ?? '', { indent: 12 })
      .font('Helvetica');

  h2('Detections');
  doc
    .fontSize(10)
    .text(`${d.alerts.total} alerts raised in the period; ${d.alerts.open} still open or acknowledged.`);
  doc.text(
    `By severity: ${
      Object.entries(d.alerts.byLevel)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }.`,
  );
  for (const r of d.alerts.topRules)
    doc.fontSize(9).text(`${r.count}  ${r.ruleId}  ${r.title}`, { indent: 12 });

  h2('Log coverage and integrity');
  doc
    .fontSize(10)
    .text(
      `The store holds ${d.retention.daysHeld} days of events against ${d.retention.requiredDays} required (${d.retention.reachesRequired ? 'reached' : 'not yet reached'}).`,
    );
  doc.text(
    `Seal chain over the period: ${d.seals.ok ? 'intact' : `BROKEN at batch ${d.seals.firstBrokenSeq}: ${d.seals.reason}`} (${d.seals.batches} batches, ${d.seals.events} events).`,
  );
  for (const s of d.coverage)
    doc
      .fontSize(9)
      .text(
        `${s.name} (${s.kind}): oldest event ${day(s.oldestEvent)}, ${s.eventsHeld} events held${s.silent ? ', SILENT' : ''}`,
        { indent: 12 },
      );
  doc.end();
  return done;
}

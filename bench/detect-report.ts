/** The tables and target verdicts of `bench/detect.bench.ts`, as text and as JSON. */
import type { AccordResult } from './detect-accord.ts';
import { ATTACK_KINDS, type Truth } from './detect-data.ts';
import type { PeerResult } from './detect-peers.ts';
import type { Measured } from './detect-proc.ts';
import { KIND_LABEL, ROLE_LABEL, type Score } from './detect-score.ts';

export interface ToolRow {
  tool: string;
  key: string;
  m: Measured;
  accord?: AccordResult;
  peer?: PeerResult;
  score: Score;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const mib = (b: number) => `${int(b / 1048576)} MiB`;

function table(head: string[], body: string[][], right: boolean[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(' | ') + ' |'; // prettier-ignore
  const sep = '| ' + w.map((n, i) => (right[i] ? '-'.repeat(n - 1) + ':' : '-'.repeat(n))).join(' | ') + ' |';
  return [line(head), sep, ...body.map(line)].join('\n');
}

export function formatReport(a: {
  truth: Truth;
  rows: ToolRow[];
  targets: { detectLinesPerSec: number; fullLinesPerSec: number };
  notes: string[];
}): { text: string; json: unknown } {
  const lines = a.truth.lines;
  const rate = (r: ToolRow) => lines / r.m.wallSeconds;
  const accA = a.rows.find((r) => r.key === 'accord-detect');
  const accB = a.rows.find((r) => r.key === 'accord-full');
  const ratio = (acc: ToolRow | undefined, r: ToolRow) =>
    acc && r.key !== acc.key ? `${(rate(acc) / rate(r)).toFixed(2)}×` : '-';

  const cpu = (r: ToolRow) => (r.m.cpuSeconds === null ? '-' : `${r.m.cpuSeconds.toFixed(1)} s`);
  const perCpu = (r: ToolRow) => (r.m.cpuSeconds ? int(lines / r.m.cpuSeconds) : '-');
  const speed = table(
    ['tool', 'lines/s', 'wall time', 'CPU time', 'lines per CPU s', 'peak RSS (tree)', 'Accord (a) / tool', 'Accord (b) / tool'], // prettier-ignore
    a.rows.map((r) => [r.tool, int(rate(r)), `${r.m.wallSeconds.toFixed(1)} s`, cpu(r), perCpu(r), mib(r.m.peakRss), ratio(accA, r), ratio(accB, r)]), // prettier-ignore
    [false, true, true, true, true, true, true, true],
  );
  const cell = (s: Score, k: (typeof ATTACK_KINDS)[number]) => {
    const x = s.byKind[k];
    return (
      `${x.found}/${x.total}` + (x.campaigns !== x.total ? ` (${x.campaignsFound}/${x.campaigns} camp.)` : '')
    );
  };
  const benignCell = (s: Score) =>
    s.benignFlagged === 0
      ? '0'
      : `${s.benignFlagged} (${Object.entries(s.benignByRole).map(([k, n]) => `${n} ${ROLE_LABEL[k as keyof typeof ROLE_LABEL]}`).join(', ')})`; // prettier-ignore
  const quality = table(
    ['tool', ...ATTACK_KINDS.map((k) => KIND_LABEL[k]), 'attackers found', `benign flagged (of ${Object.keys(a.truth.benign).length})`], // prettier-ignore
    a.rows.map((r) => [r.tool, ...ATTACK_KINDS.map((k) => cell(r.score, k)), `${r.score.attackersFound}/${r.score.attackers}`, benignCell(r.score)]), // prettier-ignore
    [false, true, true, true, true, true, true, false],
  );

  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const targets: { target: string; value: string; met: boolean }[] = [];
  if (accA) {
    const loop = lines / accA.accord!.loopSeconds;
    targets.push({
      target: `Accord (a) parse + normalise + detect >= ${int(a.targets.detectLinesPerSec)} lines/s (sshguard's figure)`,
      value: `${int(rate(accA))} lines/s (whole process; ${int(loop)} in the loop alone)`,
      met: rate(accA) >= a.targets.detectLinesPerSec,
    });
  }
  if (accB) {
    const loop = lines / accB.accord!.loopSeconds;
    targets.push({
      target: `Accord (b) full path >= ${int(a.targets.fullLinesPerSec)} lines/s`,
      value: `${int(rate(accB))} lines/s (whole process; ${int(loop)} in the loop alone)`,
      met: rate(accB) >= a.targets.fullLinesPerSec,
    });
  }
  for (const r of [accA, accB]) {
    if (!r) continue;
    const name = r.key === 'accord-detect' ? 'Accord (a)' : 'Accord (b)';
    const missed = ATTACK_KINDS.filter((k) => r.score.byKind[k].found < r.score.byKind[k].total);
    targets.push({
      target: `${name}: every attacker found`,
      value: `${r.score.attackersFound}/${r.score.attackers}` + (missed.length ? ` (short: ${missed.map((k) => KIND_LABEL[k]).join(', ')})` : ''), // prettier-ignore
      met: r.score.allFound,
    });
    targets.push({ target: `${name}: no benign address flagged`, value: benignCell(r.score), met: r.score.benignFlagged === 0 }); // prettier-ignore
  }

  const out: string[] = [];
  out.push(
    `Speed (${int(lines)} lines; lines/s = lines / wall time of the tool's process tree, start-up included; ` +
      'CPU time = user + system time of the tree, not counting a database server)',
  );
  out.push(speed);
  out.push('');
  out.push(
    'Against the truth: attacker addresses found per kind (camp. = campaigns with at least one address found)',
  );
  out.push(quality);
  out.push('');
  out.push('Targets');
  for (const t of targets) out.push(`  [${verdict(t.met)}] ${t.target}: ${t.value}`);
  for (const r of [accA, accB]) {
    if (!r?.accord) continue;
    const x = r.accord;
    const per = (s: number) => `${((s / x.lines) * 1e6).toFixed(2)} µs/line`;
    out.push('');
    out.push(`${r.tool}: ${int(x.events)} events, ${x.rejected} rejected, ${x.batches} batches of up to 10,000; ` +
      `set-up ${x.setupSeconds.toFixed(1)} s, loop ${x.loopSeconds.toFixed(2)} s`); // prettier-ignore
    if (x.mode === 'full')
      out.push(`  ingest (parse, normalise, store, seal, detect) ${x.ingestSeconds.toFixed(2)} s (${per(x.ingestSeconds)}), ` +
        `of which detection in the transaction (engine, alerts, engine state) ${x.engineSeconds.toFixed(2)} s (${per(x.engineSeconds)}); ` +
        `rest (reading, batching) ${(x.loopSeconds - x.ingestSeconds).toFixed(2)} s`); // prettier-ignore
    else
      out.push(`  parse + normalise ${x.ingestSeconds.toFixed(2)} s (${per(x.ingestSeconds)}), ` +
        `engine ${x.engineSeconds.toFixed(2)} s (${per(x.engineSeconds)}), rest (reading, batching, mapping) ${(x.loopSeconds - x.ingestSeconds - x.engineSeconds).toFixed(2)} s`); // prettier-ignore
    out.push(`  detections: ${x.detections} (episodes per rule: ${Object.entries(x.byRule).sort().map(([k, n]) => `${k} ${n}`).join(', ')})`); // prettier-ignore
  }
  for (const r of a.rows) {
    if (r.score.benignExamples.length === 0 && r.score.unknown.length === 0) continue;
    out.push('');
    out.push(`${r.tool}, benign addresses flagged:`);
    for (const b of r.score.benignExamples.slice(0, 8))
      out.push(`  ${b.ip} (${ROLE_LABEL[b.role]}) by ${b.by.join(', ')}`);
    if (r.score.unknown.length)
      out.push(`  addresses not in the truth: ${r.score.unknown.slice(0, 8).join(', ')}`);
  }
  if (a.notes.length) {
    out.push('');
    out.push('Notes');
    for (const n of a.notes) out.push(`  - ${n}`);
  }
  const json = a.rows.map((r) => ({
    tool: r.tool,
    key: r.key,
    linesPerSec: rate(r),
    wallSeconds: r.m.wallSeconds,
    cpuSeconds: r.m.cpuSeconds,
    peakRssBytes: r.m.peakRss,
    accord: r.accord ? { ...r.accord, flagged: undefined } : undefined,
    peer: r.peer ? { version: r.peer.version, matched: r.peer.matched, error: r.peer.error } : undefined,
    score: r.score,
    flagged: r.accord?.flagged ?? r.peer?.flagged,
  }));
  return { text: out.join('\n'), json: { tools: json, targets } };
}

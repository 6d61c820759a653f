/**
 * Detection engine micro-benchmark: events/s of `process` over generated sshd events, with the
 * built-in rules. Not run in CI. `npm run bench:detect-engine [-- --events N --batch N]`.
 */
import { compileBuiltinRules } from '../packages/server/src/modules/detection/engine/builtin.ts';
import { createEngine } from '../packages/server/src/modules/detection/engine/evaluator.ts';
import type { EngineEvent } from '../packages/server/src/modules/detection/engine/types.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const N = arg('events', 1_000_000);
const BATCH = arg('batch', 5_000);
/** share of failed sign-ins: 0.05 is a quiet day, 0.7 a server under a password attack */
const FAILURES = [arg('failures', 0.05), arg('attack-failures', 0.7)];

/** sshd traffic: failed passwords from a few hundred scanners, accepted sign-ins, connection noise. */
function generate(n: number, failures: number): EngineEvent[] {
  const out: EngineEvent[] = new Array(n);
  const t0 = Date.parse('2024-05-01T00:00:00.000Z');
  let x = 12345;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const failed = r < failures;
    const other = r > 0.5 + failures / 2;
    out[i] = {
      orgId: 'bench',
      sourceId: 's',
      batchId: `b${Math.floor(i / BATCH)}`,
      batchPos: i % BATCH,
      time: new Date(t0 + i * 50).toISOString(),
      class: other ? 'other' : 'authentication',
      activity: other ? 'connection_closed' : 'logon',
      outcome: other ? 'unknown' : failed ? 'failure' : 'success',
      reason: failed ? (rnd() < 0.5 ? 'bad_password' : 'unknown_user') : null,
      user: other ? null : failed ? `user${Math.floor(rnd() * 2000)}` : `staff${Math.floor(rnd() * 50)}`,
      userDomain: null,
      targetUser: null,
      group: null,
      srcIp: failed
        ? `203.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 100)}`
        : `10.0.0.${Math.floor(rnd() * 50)}`,
      geo: null,
      dstHost: 'LabSZ',
      app: 'sshd',
      authProtocol: 'password',
      mfaUsed: null,
      processName: 'sshd',
      commandLine: null,
      vendorEventId: 'sshd',
      isMsp: false,
    };
  }
  return out;
}

const rules = compileBuiltinRules();
const ctx = { approvedRemoteTools: [], mspNetworks: [], maintenanceWindows: [] };
for (const failures of FAILURES) {
  const events = generate(N, failures);
  console.log(`${Math.round(failures * 100)}% failed sign-ins, batches of ${BATCH}:`);
  for (let round = 0; round < 3; round++) {
    const engine = createEngine(rules);
    let detections = 0;
    const start = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i += BATCH)
      detections += engine.process('bench', events.slice(i, i + BATCH), ctx).length;
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e6;
    const state = engine.exportState('bench').length;
    console.log(
      `round ${round + 1}: ${N} events in ${s.toFixed(2)} s = ${Math.round(N / s).toLocaleString('en')} events/s ` +
        `(${Math.round(N / cpu).toLocaleString('en')} per CPU second); ` +
        `${detections} detections (updates included), ${engine.stats('bench').groups} groups, state ${(state / 1024).toFixed(0)} KiB`,
    );
  }
}

import type { BackupItem } from '@accord/contracts';
import type { Check, CheckInput } from '../check.types.ts';
import { firstOf, importRef, ms, snapshotOf } from './inventory-data.ts';
import { DAY_MS, num } from './params.ts';

/**
 * The backup checks read the backup inventory (one row per protected system); its systems are the
 * scope. `short` picks the systems that fall short, `line` says why.
 */
function backupCheck(
  controlId: string,
  opts: {
    expected: (p: Record<string, unknown>) => Record<string, unknown>;
    short: (b: BackupItem, input: CheckInput) => boolean;
    line: (b: BackupItem) => string;
    what: string;
  },
): Check {
  return {
    controlId,
    reads: ['backups'],
    async run(input) {
      const expected = opts.expected(input.parameters);
      const snap = await snapshotOf<BackupItem>(input.db, input.customerOrgId, 'backups');
      const short = snap.items.filter((b) => opts.short(b, input));
      return {
        status: short.length === 0 ? 'pass' : 'fail',
        reason:
          short.length === 0
            ? `all ${snap.items.length} backed-up systems ${opts.what}`
            : `${short.length} of ${snap.items.length} backed-up systems do not: ${firstOf(short)
                .map((b) => b.system)
                .join(', ')}`,
        observed: {
          systems: snap.items.length,
          short: short.length,
          shortSystems: firstOf(short).map((b) => b.system),
        },
        expected,
        evidence: [
          ...importRef('backups', snap),
          ...firstOf(short).map((b) => ({
            type: 'import' as const,
            summary: `${b.system}: ${opts.line(b)}`,
          })),
        ],
        dataAt: snap.at,
        scope: snap.items.length,
      };
    },
  };
}

const olderThan = (iso: string | null, limitMs: number, now: Date) => {
  const at = ms(iso);
  return at === null || now.getTime() - at > limitMs;
};

/** BCK-01: each system's last successful backup is within `rpo_hours`. */
export const bck01 = backupCheck('BCK-01', {
  expected: (p) => ({ rpoHours: num(p, 'rpo_hours') }),
  short: (b, i) => olderThan(b.lastSuccess, num(i.parameters, 'rpo_hours') * 3_600_000, i.now),
  line: (b) => `last successful backup ${b.lastSuccess ?? 'never'}`,
  what: 'have a successful backup within the RPO',
});

/** BCK-02: each system has an offline or immutable copy. */
export const bck02 = backupCheck('BCK-02', {
  expected: () => ({ offlineOrImmutable: true }),
  short: (b) => !b.offlineOrImmutable,
  line: () => 'no offline or immutable copy',
  what: 'have an offline or immutable copy',
});

/** BCK-03: each system had a restore test within `restore_test_days`. */
export const bck03 = backupCheck('BCK-03', {
  expected: (p) => ({ restoreTestDays: num(p, 'restore_test_days') }),
  short: (b, i) => olderThan(b.lastRestoreTest, num(i.parameters, 'restore_test_days') * DAY_MS, i.now),
  line: (b) => `last restore test ${b.lastRestoreTest?.slice(0, 10) ?? 'never'}`,
  what: 'had a restore test within the window',
});

import {
  AssetItem,
  BackupItem,
  RemoteAccessItem,
  RosterItem,
  VulnerabilityItem,
  type ImportKind,
} from '@accord/contracts';
import type { Column } from '../csv.ts';
import type { Upload } from '../upload.ts';
import { keyOf, list, optText, requiredBool, RowError, text, time } from '../values.ts';
import { normaliseTool } from './remote-tools.ts';
import { Collector, tabularRows, type Parsed, type Row } from './parser.types.ts';

/**
 * The tabular inventories: assets, vulnerabilities, backups and remote-access tools. Each has one
 * documented set of columns (docs/imports.md), read from CSV or, where the kind accepts it, from a
 * JSON array of objects with the same field names (snake_case or camelCase).
 */
interface TabularKind {
  what: string;
  columns: Column[];
  jsonKeys: string[];
  build: (r: Row) => { key: string; data: unknown };
  collector: () => Collector<unknown>;
}

export const ASSET_COLUMNS: Column[] = [
  { name: 'hostname', aliases: ['host', 'name'], required: true },
  { name: 'os' },
  { name: 'os_version' },
  { name: 'internet_facing', required: true },
  { name: 'owner' },
  { name: 'edr_agent', aliases: ['edr', 'edr_present'], required: true },
  { name: 'edr_last_seen' },
  { name: 'last_patched' },
  { name: 'last_scanned', aliases: ['last_scan'] },
  { name: 'end_of_support', aliases: ['eol', 'end_of_life'] },
  { name: 'compensating_control' },
];
export const VULN_COLUMNS: Column[] = [
  { name: 'host', aliases: ['hostname', 'asset'], required: true },
  { name: 'cve', aliases: ['cve_id'], required: true },
  { name: 'first_seen' },
  { name: 'fixed_at', aliases: ['fixed', 'remediated_at'] },
  { name: 'severity' },
];
export const BACKUP_COLUMNS: Column[] = [
  { name: 'system', aliases: ['host', 'hostname'], required: true },
  { name: 'last_success', required: true },
  { name: 'offline_or_immutable', aliases: ['immutable', 'offline'], required: true },
  { name: 'encrypted', required: true },
  { name: 'last_restore_test' },
];
export const REMOTE_ACCESS_COLUMNS: Column[] = [
  { name: 'host', aliases: ['hostname'], required: true },
  { name: 'tool', aliases: ['product', 'application'], required: true },
  { name: 'version' },
  { name: 'last_seen' },
];

export const ROSTER_COLUMNS: Column[] = [
  { name: 'person', aliases: ['name', 'employee', 'employee_id'], required: true },
  { name: 'accounts', aliases: ['account', 'upn', 'logins'], required: true },
  { name: 'kind', aliases: ['type'] },
  { name: 'role', aliases: ['job_title', 'title'] },
  { name: 'left_at', aliases: ['leaving_date', 'termination_date', 'left'] },
];

/** critical/high/medium(moderate)/low/info(informational, none), or a CVSS base score. */
export function severity(value: unknown): VulnerabilityItem['severity'] {
  const s = optText(value)?.toLowerCase();
  if (!s) return null;
  const words: Record<string, VulnerabilityItem['severity']> = {
    critical: 'critical',
    high: 'high',
    medium: 'medium',
    moderate: 'medium',
    low: 'low',
    info: 'info',
    informational: 'info',
    none: 'info',
  };
  if (words[s]) return words[s];
  const n = Number(s);
  if (/^\d+(\.\d+)?$/.test(s) && n <= 10)
    return n >= 9 ? 'critical' : n >= 7 ? 'high' : n >= 4 ? 'medium' : n > 0 ? 'low' : 'info';
  throw new RowError(
    `severity must be critical, high, medium, low, info or a CVSS score, not ${JSON.stringify(s)}`,
  );
}

const KINDS: Partial<Record<ImportKind, TabularKind>> = {
  assets: {
    what: 'asset',
    columns: ASSET_COLUMNS,
    jsonKeys: ['assets', 'value'],
    collector: () => new Collector<unknown>(AssetItem),
    build: (r) => {
      const hostname = text(r.get('hostname'), 'hostname');
      return {
        key: keyOf(hostname),
        data: {
          hostname,
          os: optText(r.get('os')),
          osVersion: optText(r.get('os_version')),
          internetFacing: requiredBool(r.get('internet_facing'), 'internet_facing'),
          owner: optText(r.get('owner')),
          edrAgent: requiredBool(r.get('edr_agent'), 'edr_agent'),
          edrLastSeen: time(r.get('edr_last_seen'), 'edr_last_seen'),
          lastPatched: time(r.get('last_patched'), 'last_patched'),
          lastScanned: time(r.get('last_scanned'), 'last_scanned'),
          endOfSupport: time(r.get('end_of_support'), 'end_of_support'),
          compensatingControl: optText(r.get('compensating_control')),
        },
      };
    },
  },
  vulnerabilities: {
    what: 'vulnerability',
    columns: VULN_COLUMNS,
    jsonKeys: ['vulnerabilities', 'findings', 'value'],
    collector: () => new Collector<unknown>(VulnerabilityItem),
    build: (r) => {
      const host = text(r.get('host'), 'host');
      const cve = text(r.get('cve'), 'cve').toUpperCase();
      return {
        key: keyOf(host, cve),
        data: {
          host,
          cve,
          firstSeen: time(r.get('first_seen'), 'first_seen'),
          fixedAt: time(r.get('fixed_at'), 'fixed_at'),
          severity: severity(r.get('severity')),
        },
      };
    },
  },
  backups: {
    what: 'backup',
    columns: BACKUP_COLUMNS,
    jsonKeys: ['backups', 'jobs', 'value'],
    collector: () => new Collector<unknown>(BackupItem),
    build: (r) => {
      const system = text(r.get('system'), 'system');
      return {
        key: keyOf(system),
        data: {
          system,
          lastSuccess: time(r.get('last_success'), 'last_success'),
          offlineOrImmutable: requiredBool(r.get('offline_or_immutable'), 'offline_or_immutable'),
          encrypted: requiredBool(r.get('encrypted'), 'encrypted'),
          lastRestoreTest: time(r.get('last_restore_test'), 'last_restore_test'),
        },
      };
    },
  },
  remote_access: {
    what: 'remote-access tool',
    columns: REMOTE_ACCESS_COLUMNS,
    jsonKeys: ['tools', 'value'],
    collector: () => new Collector<unknown>(RemoteAccessItem),
    build: (r) => {
      const host = text(r.get('host'), 'host');
      const reported = text(r.get('tool'), 'tool');
      const tool = normaliseTool(reported);
      return {
        key: keyOf(host, tool),
        data: {
          host,
          tool,
          toolAsReported: reported,
          version: optText(r.get('version')),
          lastSeen: time(r.get('last_seen'), 'last_seen'),
        },
      };
    },
  },
};

KINDS.roster = {
  what: 'roster',
  columns: ROSTER_COLUMNS,
  jsonKeys: ['roster', 'people', 'value'],
  collector: () => new Collector<unknown>(RosterItem),
  build: (r) => {
    const person = text(r.get('person'), 'person');
    const accounts = list(r.get('accounts'));
    const kind = optText(r.get('kind'))?.toLowerCase() ?? 'person';
    if (kind !== 'person' && kind !== 'workload')
      throw new RowError(`kind must be person or workload, not ${JSON.stringify(kind)}`);
    return {
      key: keyOf(person),
      data: {
        person,
        kind,
        accounts: [...new Set(accounts.map((a) => a.trim()).filter(Boolean))],
        role: optText(r.get('role')),
        leftAt: time(r.get('left_at'), 'left_at'),
      },
    };
  },
};

export const isTabular = (kind: ImportKind) => KINDS[kind] !== undefined;

export async function parseTabular(kind: ImportKind, upload: Upload, type: 'csv' | 'json'): Promise<Parsed> {
  const k = KINDS[kind]!;
  const c = k.collector();
  for await (const row of tabularRows(upload, type, k.columns, k.what, k.jsonKeys))
    c.add(row.line, () => k.build(row));
  return c.result(type);
}

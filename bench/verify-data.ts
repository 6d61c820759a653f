/**
 * What each customer of `bench/verify.bench.ts` holds: its log sources and the items of its five
 * inventories, shaped like the contracts' inventory items (what an import stores) and keyed the way
 * the import parsers key them. Deterministic per customer index, so runs compare.
 */
import { dataset } from '../packages/server/test/support/datasets.ts';
import type { SourceCategory, SourceKind } from '@accord/contracts';
import type {
  AccountItem,
  AssetItem,
  BackupItem,
  RemoteAccessItem,
  VulnerabilityItem,
} from '@accord/contracts';

const DAY = 86_400_000;

/**
 * CISA's KEV catalog from the shared datasets: beside the checkout, in ACCORD_DATASETS_DIR, or in
 * /work/shared/datasets (the same places the tests look).
 */
export const KEV_FILE = dataset('kev', 'known_exploited_vulnerabilities.json');

/** Ten sources per customer covering the catalog's default required categories (two carry sign-ins). */
export const SOURCE_PLAN: {
  kind: SourceKind;
  name: string;
  categories: SourceCategory[];
  signins?: boolean;
}[] = [
  { kind: 'generic_json', name: 'entra sign-ins', categories: ['identity_signin'], signins: true },
  { kind: 'generic_json', name: 'vpn gateway', categories: ['vpn', 'remote_access'], signins: true },
  { kind: 'windows_security', name: 'domain controllers', categories: ['directory_audit'] },
  { kind: 'generic_json', name: 'mail audit', categories: ['email_audit'] },
  { kind: 'generic_json', name: 'edr console', categories: ['edr'] },
  { kind: 'cef', name: 'perimeter firewall', categories: ['firewall'] },
  { kind: 'cef', name: 'network ids', categories: ['ids'] },
  { kind: 'generic_json', name: 'rmm platform', categories: ['rmm'] },
  { kind: 'generic_json', name: 'backup platform', categories: ['backup_platform'] },
  { kind: 'linux_syslog', name: 'linux servers', categories: ['server_auth'] },
];

const iso = (ms: number) => new Date(ms).toISOString();
const key = (...parts: string[]) => parts.map((p) => p.trim().toLowerCase()).join('|');
const TOOLS = ['ScreenConnect', 'AnyDesk', 'TeamViewer', 'Splashtop', 'N-able Take Control'];

/** The five inventories of customer `ci`: [item_key, item] per kind. */
export function inventoryRows(ci: number, kevIds: string[], now: Date) {
  const t = now.getTime();
  const domain = `c${ci}.example`;
  const identity: [string, AccountItem][] = Array.from({ length: 50 }, (_, k) => {
    const mspOwned = k < 5;
    const account = mspOwned ? `c${ci}-t${k}@msp.bench.example` : `user${k}@${domain}`;
    const dormant = k % 8 === 7; // no sign-in for 120 days
    const mfa = (k + ci) % 6 !== 0;
    return [
      key(account),
      {
        account,
        displayName: `User ${k}`,
        enabled: k % 17 !== 16,
        mfaRegistered: mfa,
        mfaCapable: mfa,
        mfaMethods: mfa ? ['microsoftAuthenticatorPush'] : [],
        mfaEnforced: mfa && k % 3 !== 0,
        mfaEnforcedBy: mfa && k % 3 !== 0 ? 'policy' : null,
        privileged: mspOwned || k % 10 === 0,
        privilegedRoles: mspOwned || k % 10 === 0 ? ['Global Administrator'] : [],
        lastSignIn: iso(t - (dormant ? 120 : k % 20) * DAY),
        created: iso(t - 400 * DAY),
        mspOwned,
        mspOwnedSource: mspOwned ? 'file' : null,
        source: 'entra',
        externalId: null,
      },
    ];
  });
  const hosts = Array.from({ length: 100 }, (_, k) => `host${k}.${domain}`);
  const assets: [string, AssetItem][] = hosts.map((hostname, k) => [
    key(hostname),
    {
      hostname,
      os: k % 4 === 0 ? 'Ubuntu' : 'Windows Server',
      osVersion: k % 4 === 0 ? '22.04' : '2022',
      internetFacing: k % 10 === 0,
      owner: null,
      edrAgent: (k + ci) % 9 !== 0,
      edrLastSeen: (k + ci) % 9 !== 0 ? iso(t - (k % 3) * DAY) : null,
      lastPatched: iso(t - (k % 60) * DAY),
    },
  ]);
  const vulnerabilities: [string, VulnerabilityItem][] = Array.from({ length: 20 }, (_, k) => {
    const host = hosts[(k * 5 + ci) % 100]!;
    // Every fourth finding is a KEV CVE; the others are outside the catalog.
    const cve = k % 4 === 0 ? kevIds[(ci * 7 + k) % kevIds.length]! : `CVE-2099-${String(1000 + k)}`;
    return [
      key(host, cve),
      {
        host,
        cve,
        firstSeen: iso(t - (10 + k) * DAY),
        fixedAt: k % 5 === 1 ? iso(t - DAY) : null,
        severity: k % 4 === 0 ? 'critical' : 'medium',
      },
    ];
  });
  const backups: [string, BackupItem][] = Array.from({ length: 5 }, (_, k) => {
    const system = `backup-${k}.${domain}`;
    return [
      key(system),
      {
        system,
        lastSuccess: iso(t - ((k + ci) % 4) * DAY),
        offlineOrImmutable: k !== 3,
        encrypted: true,
        lastRestoreTest: k % 2 === 0 ? iso(t - 60 * DAY) : null,
      },
    ];
  });
  const remote: [string, RemoteAccessItem][] = Array.from({ length: 5 }, (_, k) => {
    const host = hosts[k * 3]!;
    const tool = TOOLS[(k + ci) % TOOLS.length]!;
    return [
      key(host, tool),
      { host, tool, toolAsReported: tool, version: '1.0', lastSeen: iso(t - k * DAY) },
    ];
  });
  return { identity, assets, vulnerabilities, backups, remote_access: remote };
}

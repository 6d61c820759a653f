import type { Db, Executor } from '../../platform/db/db.ts';
import type { TenantContext } from './engine/types.ts';

/**
 * What detection needs from a tenant's agreements: the approved remote-access tools (NET-01
 * `approved_remote_tools`) and the extra addresses of remote-access services (NET-01
 * `remote_tool_destinations`), the networks MSP accounts may come from (NET-02 `msp_source_networks`),
 * the windows in which MSP accounts may act (AUT-02 `agreed_access_windows`), and how fast an alert
 * must reach the parties (LOG-08 `alert_notification_minutes`). Read from every ACTIVE agreement the
 * tenant is a party to, the way LOG-05's MSP-account rules are (msp-accounts.ts), and cached briefly:
 * ingest asks once per batch, and an agreement change may take up to a minute to apply.
 */
export interface DetectionSettings {
  ctx: TenantContext;
  /** The strictest alert notification time of the tenant's active agreements. */
  notifyMinutes: number;
}

export const DEFAULT_NOTIFY_MINUTES = 15;
const TTL_MS = 60_000;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * Parses an agreed window such as "mon-fri 07:00-19:00 Europe/London" or "sat,sun 08:00-12:00 UTC"
 * (days 0 = Sunday; no zone means UTC). Returns null for text it cannot read.
 */
export function parseWindow(text: string): TenantContext['maintenanceWindows'][number] | null {
  const m = /^\s*([a-z,-]+)\s+(\d{2}:\d{2})-(\d{2}:\d{2})(?:\s+(\S+))?\s*$/i.exec(text);
  if (!m) return null;
  const days = new Set<number>();
  for (const part of m[1]!.toLowerCase().split(',')) {
    const [a, b] = part.split('-');
    const from = DAYS.indexOf(a ?? '');
    const to = b === undefined ? from : DAYS.indexOf(b);
    if (from < 0 || to < 0) return null;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return { days: [...days].sort(), start: m[2]!, end: m[3]!, tz: m[4] ?? 'UTC' };
}

interface ControlContent {
  controlId: string;
  parameters: Record<string, unknown>;
}

export function settingsFromAgreements(contents: { controls: ControlContent[] }[]): DetectionSettings {
  const tools = new Set<string>();
  const networks = new Set<string>();
  const windows: TenantContext['maintenanceWindows'] = [];
  const destinations = new Set<string>();
  let notifyMinutes: number | null = null;
  for (const content of contents) {
    const param = (id: string, name: string) =>
      content.controls.find((c) => c.controlId === id)?.parameters[name];
    for (const t of (param('NET-01', 'approved_remote_tools') as string[] | undefined) ?? [])
      if (t.trim()) tools.add(t.trim().toLowerCase());
    for (const d of (param('NET-01', 'remote_tool_destinations') as string[] | undefined) ?? [])
      if (d.trim()) destinations.add(d.trim());
    for (const n of (param('NET-02', 'msp_source_networks') as string[] | undefined) ?? [])
      if (n.trim()) networks.add(n.trim());
    for (const w of (param('AUT-02', 'agreed_access_windows') as string[] | undefined) ?? []) {
      const parsed = parseWindow(w);
      if (parsed) windows.push(parsed);
    }
    const minutes = param('LOG-08', 'alert_notification_minutes');
    if (typeof minutes === 'number' && minutes > 0)
      notifyMinutes = notifyMinutes === null ? minutes : Math.min(notifyMinutes, minutes);
  }
  return {
    ctx: {
      approvedRemoteTools: [...tools].sort(),
      mspNetworks: [...networks].sort(),
      maintenanceWindows: windows,
      remoteToolDestinations: [...destinations].sort(),
    },
    notifyMinutes: notifyMinutes ?? DEFAULT_NOTIFY_MINUTES,
  };
}

export function createDetectionSettingsResolver(db: Db) {
  const cache = new Map<string, { at: number; settings: DetectionSettings }>();

  async function settingsFor(orgId: string, ex: Executor = db, now = Date.now()): Promise<DetectionSettings> {
    const hit = cache.get(orgId);
    if (hit && now - hit.at < TTL_MS) return hit.settings;
    const rows = await ex
      .selectFrom('agreement_versions')
      .select('content')
      .where('state', '=', 'active')
      .where((eb) => eb.or([eb('customer_org_id', '=', orgId), eb('msp_org_id', '=', orgId)]))
      .execute();
    const settings = settingsFromAgreements(
      rows.map(
        (r) =>
          (typeof r.content === 'string' ? JSON.parse(r.content) : r.content) as {
            controls: ControlContent[];
          },
      ),
    );
    cache.set(orgId, { at: now, settings });
    return settings;
  }

  return { settingsFor, forget: (orgId: string) => cache.delete(orgId) };
}
export type DetectionSettingsResolver = ReturnType<typeof createDetectionSettingsResolver>;

import { BlockList, isIP } from 'node:net';
import { approvedToolSet } from './remote-tools.ts';
import { remoteDestinationsOf, type RemoteDestinations } from './remote-destinations.ts';
import type { TenantContext } from './types.ts';

/**
 * What the per-agreement context becomes once, for fast per-event questions. Entries of the
 * context that cannot be used (a malformed CIDR, an unknown time zone) are skipped and listed in
 * `ignored`: the context comes from a validated agreement, and evaluation never throws.
 */
export interface Scope {
  approvedTools: Set<string>;
  /** null: no MSP networks agreed (the rule is not enforced) */
  mspNetworks: BlockList | null;
  /** null: no maintenance windows agreed (not enforced) */
  windows: CompiledWindow[] | null;
  ignored: string[];
  /** Domains and networks of remote-access services: the built-in list plus the agreement's. */
  remoteDestinations?: RemoteDestinations;
}

interface CompiledWindow {
  days: Set<number>; // 0 = Sunday .. 6 = Saturday
  start: number; // minutes after local midnight
  end: number;
  zone: Intl.DateTimeFormat;
}

const HHMM_RE = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const zoneCache = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormat(tz: string): Intl.DateTimeFormat | null {
  let f = zoneCache.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      f = null;
    }
    zoneCache.set(tz, f);
  }
  return f;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address; null when malformed. */
export function parseCidr(text: string): { addr: string; prefix: number; type: 'ipv4' | 'ipv6' } | null {
  const slash = text.indexOf('/');
  const addr = (slash === -1 ? text : text.slice(0, slash)).trim();
  const v = isIP(addr);
  if (v === 0) return null;
  const max = v === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return { addr, prefix, type: v === 4 ? 'ipv4' : 'ipv6' };
}

export function blockListOf(cidrs: readonly string[], ignored?: string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p === null) ignored?.push(`network ${JSON.stringify(c)} is not a CIDR`);
    else list.addSubnet(p.addr, p.prefix, p.type);
  }
  return list;
}

export function ipInList(list: BlockList, ip: string): boolean {
  const v = isIP(ip);
  return v !== 0 && list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

const scopeCache = new WeakMap<TenantContext, Scope>();

export function scopeOf(ctx: TenantContext): Scope {
  let s = scopeCache.get(ctx);
  if (s !== undefined) return s;
  const ignored: string[] = [];
  const windows: CompiledWindow[] = [];
  for (const w of ctx.maintenanceWindows ?? []) {
    const a = HHMM_RE.exec(w.start);
    const b = HHMM_RE.exec(w.end);
    const zone = zoneFormat(w.tz);
    if (!a || !b || !zone) {
      ignored.push(`maintenance window ${JSON.stringify(w)} is malformed`);
      continue;
    }
    windows.push({
      days: new Set(w.days.map((d) => d % 7)),
      start: Number(a[1]) * 60 + Number(a[2]),
      end: Number(b[1]) * 60 + Number(b[2]),
      zone,
    });
  }
  s = {
    approvedTools: approvedToolSet(ctx.approvedRemoteTools ?? []),
    mspNetworks: (ctx.mspNetworks ?? []).length > 0 ? blockListOf(ctx.mspNetworks, ignored) : null,
    windows: (ctx.maintenanceWindows ?? []).length > 0 ? windows : null,
    ignored,
    remoteDestinations: remoteDestinationsOf(ctx.remoteToolDestinations ?? [], ignored),
  };
  scopeCache.set(ctx, s);
  return s;
}

/** Whether an instant falls in one of the windows (local day and time in the window's zone). */
export function inWindows(windows: readonly CompiledWindow[], isoTime: string): boolean {
  const t = Date.parse(isoTime);
  if (Number.isNaN(t)) return false;
  for (const w of windows) {
    let day = -1;
    let minutes = 0;
    for (const p of w.zone.formatToParts(t)) {
      if (p.type === 'weekday') day = WEEKDAYS[p.value] ?? -1;
      else if (p.type === 'hour') minutes += Number(p.value) * 60;
      else if (p.type === 'minute') minutes += Number(p.value);
    }
    if (w.start <= w.end) {
      if (w.days.has(day) && minutes >= w.start && minutes < w.end) return true;
    } else if ((w.days.has(day) && minutes >= w.start) || (w.days.has((day + 6) % 7) && minutes < w.end)) {
      return true; // a window across midnight belongs to the day it starts on
    }
  }
  return false;
}

import { BlockList, isIP } from 'node:net';
import { parseCidr } from './scope.ts';
import { REMOTE_TOOLS } from './remote-tools.ts';

/**
 * Where remote-access and RMM services connect to: the vendors' published service domains (a
 * connection to the domain or any name under it counts), plus what an agreement adds in NET-01
 * `remote_tool_destinations` as "tool: destination" entries, a destination being a domain or an
 * address or CIDR (a self-hosted relay, a vendor range). A network event reaches a service when
 * its destination host (DNS query name, TLS server name, HTTP host) or destination address is
 * one of these. The tool names are those of remote-tools.ts, so NET-01 `approved_remote_tools`
 * approves a service's traffic exactly as it approves its process.
 */
export const REMOTE_TOOL_DOMAINS: Readonly<Record<string, readonly string[]>> = {
  anydesk: ['anydesk.com', 'anydesk.net'],
  teamviewer: ['teamviewer.com'],
  screenconnect: ['screenconnect.com'],
  atera: ['atera.com'],
  splashtop: ['splashtop.com', 'splashtop.eu'],
  ninjaone: ['ninjarmm.com', 'ninjaone.com'],
  kaseya: ['kaseya.com', 'kaseya.net'],
  logmein: ['logmein.com', 'logmeinrescue.com', 'logme.in'],
  rustdesk: ['rustdesk.com'],
  meshcentral: ['meshcentral.com'],
  'remote utilities': ['remoteutilities.com'],
  netsupport: ['netsupportsoftware.com', 'netsupportmanager.com'],
  gotoassist: ['gotoassist.com', 'getgo.com'],
  'zoho assist': ['assist.zoho.com', 'zohoassist.com'],
  beyondtrust: ['beyondtrustcloud.com', 'bomgarcloud.com'],
  dwservice: ['dwservice.net'],
  supremo: ['supremocontrol.com'],
  radmin: ['radmin.com'],
  ultraviewer: ['ultraviewer.net'],
  'chrome remote desktop': ['remotedesktop.google.com', 'remotedesktop-pa.googleapis.com'],
  pulseway: ['pulseway.com'],
  action1: ['action1.com'],
  level: ['level.io'],
};

export interface RemoteDestinations {
  /** domain (lower case) -> tool */
  domains: Map<string, string>;
  /** per tool, its agreed networks */
  networks: { tool: string; list: BlockList }[];
}

const TOOL_NAMES = new Map<string, string>();
for (const t of REMOTE_TOOLS) {
  TOOL_NAMES.set(t.name, t.name);
  for (const a of t.aliases) TOOL_NAMES.set(a, t.name);
}

const BUILTIN = new Map<string, string>();
for (const [tool, domains] of Object.entries(REMOTE_TOOL_DOMAINS))
  for (const d of domains) BUILTIN.set(d, tool);

const DOMAIN_RE = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z]{2,63}$/;

/**
 * Compiles the agreement's "tool: destination" entries over the built-in domains. Entries that
 * cannot be used (no tool, a tool Accord does not know, a destination that is neither a domain
 * nor a CIDR) are skipped and listed in `ignored`.
 */
export function remoteDestinationsOf(entries: readonly string[], ignored?: string[]): RemoteDestinations {
  const domains = new Map(BUILTIN);
  const byTool = new Map<string, BlockList>();
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const tool = TOOL_NAMES.get(
      entry
        .slice(0, at < 0 ? 0 : at)
        .trim()
        .toLowerCase(),
    );
    const dest = entry
      .slice(at + 1)
      .trim()
      .toLowerCase()
      .replace(/\.$/, '');
    if (at < 0 || tool === undefined) {
      ignored?.push(
        `remote tool destination ${JSON.stringify(entry)} does not name a known tool ("tool: destination")`,
      );
      continue;
    }
    const cidr = parseCidr(dest);
    if (cidr !== null) {
      let list = byTool.get(tool);
      if (!list) byTool.set(tool, (list = new BlockList()));
      list.addSubnet(cidr.addr, cidr.prefix, cidr.type);
    } else if (DOMAIN_RE.test(dest)) domains.set(dest, tool);
    else ignored?.push(`remote tool destination ${JSON.stringify(entry)} is neither a domain nor a CIDR`);
  }
  return { domains, networks: [...byTool].map(([tool, list]) => ({ tool, list })) };
}

const DEFAULT = remoteDestinationsOf([]);

/** The tool whose service the destination host or address belongs to, or null. */
export function remoteServiceOf(
  dest: RemoteDestinations | undefined,
  host: string | null,
  ip: string | null,
): string | null {
  const d = dest ?? DEFAULT;
  if (host !== null && host.includes('.')) {
    // The name and each parent domain: a.b.anydesk.com, b.anydesk.com, anydesk.com.
    let name = host.toLowerCase().replace(/\.$/, '');
    for (;;) {
      const tool = d.domains.get(name);
      if (tool !== undefined) return tool;
      const dot = name.indexOf('.');
      if (dot < 0 || name.indexOf('.', dot + 1) < 0) break;
      name = name.slice(dot + 1);
    }
  }
  if (ip !== null && d.networks.length > 0) {
    const v = isIP(ip);
    if (v !== 0) for (const n of d.networks) if (n.list.check(ip, v === 4 ? 'ipv4' : 'ipv6')) return n.tool;
  }
  return null;
}

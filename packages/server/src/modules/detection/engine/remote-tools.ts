/**
 * Remote-access and RMM tools the engine recognises in an event's process name or application.
 * The first column is the canonical lower-case name the `remoteTool` field takes; the others are
 * lower-case fragments of executable paths or application names that identify the tool, and the
 * names an agreement may use for it in `approvedRemoteTools` (so approving "connectwise control"
 * also approves ScreenConnect).
 */
export const REMOTE_TOOLS: readonly {
  name: string;
  markers: readonly string[];
  aliases: readonly string[];
}[] = [
  { name: 'anydesk', markers: ['anydesk'], aliases: [] },
  { name: 'teamviewer', markers: ['teamviewer', 'tv_w32.exe', 'tv_x64.exe'], aliases: [] },
  {
    name: 'screenconnect',
    markers: ['screenconnect', 'connectwisecontrol', 'connectwise control'],
    aliases: ['connectwise control', 'connectwise screenconnect', 'connectwise'],
  },
  { name: 'atera', markers: ['ateraagent', 'atera agent', 'atera networks'], aliases: ['atera agent'] },
  { name: 'splashtop', markers: ['splashtop', 'srserver.exe', 'srmanager.exe'], aliases: [] },
  { name: 'ninjaone', markers: ['ninjarmm', 'ninjaone'], aliases: ['ninjarmm', 'ninja rmm'] },
  { name: 'kaseya', markers: ['kaseya', 'agentmon.exe'], aliases: ['kaseya vsa'] },
  {
    name: 'logmein',
    markers: ['logmein', 'lmiguardian', 'lmi_rescue'],
    aliases: ['logmein rescue', 'goto resolve'],
  },
  { name: 'rustdesk', markers: ['rustdesk'], aliases: [] },
  { name: 'meshcentral', markers: ['meshagent', 'meshcentral'], aliases: ['mesh agent'] },
  {
    name: 'remote utilities',
    markers: ['rutserv', 'rfusclient', 'remote utilities'],
    aliases: ['remoteutilities'],
  },
  { name: 'netsupport', markers: ['netsupport', 'client32.exe'], aliases: ['netsupport manager'] },
  { name: 'gotoassist', markers: ['gotoassist', 'g2ax_', 'goto assist'], aliases: ['goto assist'] },
  { name: 'zoho assist', markers: ['zohoassist', 'zoho assist', 'zaservice'], aliases: ['zohoassist'] },
  {
    name: 'beyondtrust',
    markers: ['bomgar', 'beyondtrust'],
    aliases: ['bomgar', 'beyondtrust remote support'],
  },
  { name: 'dwservice', markers: ['dwagent', 'dwservice'], aliases: [] },
  { name: 'supremo', markers: ['supremo'], aliases: [] },
  { name: 'radmin', markers: ['radmin', 'rserver3'], aliases: [] },
  { name: 'ultraviewer', markers: ['ultraviewer'], aliases: [] },
  { name: 'chrome remote desktop', markers: ['remoting_host', 'chrome remote desktop'], aliases: [] },
  { name: 'tactical rmm', markers: ['tacticalrmm', 'tacticalagent'], aliases: ['tacticalrmm'] },
  { name: 'pulseway', markers: ['pulseway', 'pcmonitorsrv'], aliases: [] },
  { name: 'action1', markers: ['action1_agent', 'action1'], aliases: [] },
  { name: 'level', markers: ['level-windows', 'level.exe'], aliases: ['level.io'] },
];

const MARKERS: readonly (readonly [string, string])[] = REMOTE_TOOLS.flatMap((t) =>
  t.markers.map((m) => [m, t.name] as const),
);

// Process and application names repeat heavily: remember the answer (bounded).
const cache = new Map<string, string | null>();

function toolOf(text: string): string | null {
  let r = cache.get(text);
  if (r === undefined) {
    const p = text.toLowerCase();
    r = null;
    for (const [m, name] of MARKERS) {
      if (p.includes(m)) {
        r = name;
        break;
      }
    }
    if (cache.size >= 10_000) cache.clear();
    cache.set(text, r);
  }
  return r;
}

/** The canonical tool name of a process name or application, or null when it is not a known tool. */
export function remoteToolOf(processName: string | null, app: string | null): string | null {
  return (processName !== null ? toolOf(processName) : null) ?? (app !== null ? toolOf(app) : null);
}

/** Approved names (as an agreement writes them) as the set of canonical tool names they cover. */
export function approvedToolSet(approved: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const raw of approved) {
    const a = raw.trim().toLowerCase();
    out.add(a);
    for (const t of REMOTE_TOOLS) if (t.name === a || t.aliases.includes(a)) out.add(t.name);
  }
  return out;
}

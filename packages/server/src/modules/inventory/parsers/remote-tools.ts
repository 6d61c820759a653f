/**
 * Remote-access and RMM products as inventories spell them, normalised to one product name, so
 * that "ConnectWise Control", "ScreenConnect Client (a1b2...)" and "screenconnect" are one tool.
 * The first pattern that matches names the tool; anything else keeps its reported name.
 */
const TOOLS: [RegExp, string][] = [
  [/\bany\s?desk\b/i, 'AnyDesk'],
  [/\bteam\s?viewer\b/i, 'TeamViewer'],
  [/\bscreen\s?connect\b|connectwise\s+control/i, 'ScreenConnect'],
  [/\bconnectwise\s+automate\b|\blabtech\b/i, 'ConnectWise Automate'],
  [/\batera\b/i, 'Atera'],
  [/\bsplashtop\b/i, 'Splashtop'],
  [/\bninja\s?one\b|\bninja\s?rmm\b/i, 'NinjaOne'],
  [/\bkaseya\b/i, 'Kaseya VSA'],
  [/\bdatto\s+rmm\b|\bcentrastage\b|\baem\s+agent\b/i, 'Datto RMM'],
  [/\bn-?able\b|\bn-?central\b|\btake\s?control\b|solarwinds\s+rmm/i, 'N-able'],
  [/\blog\s?me\s?in\b/i, 'LogMeIn'],
  [/\bgoto\s+(resolve|assist)\b/i, 'GoTo Resolve'],
  [/\brust\s?desk\b/i, 'RustDesk'],
  [/\bchrome\s+remote\s+desktop\b/i, 'Chrome Remote Desktop'],
  [/\b(real|tight|ultra|tiger)?\s?vnc\b/i, 'VNC'],
  [/\bbeyond\s?trust\b|\bbomgar\b/i, 'BeyondTrust Remote Support'],
  [/\bsimple\s?help\b/i, 'SimpleHelp'],
  [/\bzoho\s+assist\b/i, 'Zoho Assist'],
  [/\bremote\s+utilities\b/i, 'Remote Utilities'],
  [/\bmesh\s?central\b/i, 'MeshCentral'],
  [/\btactical\s?rmm\b/i, 'Tactical RMM'],
  [/\baction1\b/i, 'Action1'],
  [/\bsupremo\b/i, 'Supremo'],
  [/\bammyy\b/i, 'Ammyy Admin'],
  [/\bradmin\b/i, 'Radmin'],
  [/\bquick\s?assist\b/i, 'Quick Assist'],
  [/\bdw\s?service\b/i, 'DWService'],
];

export function normaliseTool(reported: string): string {
  const s = reported.trim();
  for (const [re, name] of TOOLS) if (re.test(s)) return name;
  return s;
}

export const KNOWN_TOOLS = [...new Set(TOOLS.map(([, n]) => n))];

import { normaliseTool } from '../inventory/parsers/remote-tools.ts';

/**
 * The vendors behind the remote-access and RMM tools inventories report (tool names as
 * inventory/parsers/remote-tools.ts normalises them). A tool in use is a supplier with access: SCR-01
 * counts it as registered when a register entry names the tool among its products, or is one of the
 * tool's vendors.
 */
const VENDORS: Record<string, string[]> = {
  AnyDesk: ['AnyDesk'],
  TeamViewer: ['TeamViewer'],
  ScreenConnect: ['ConnectWise'],
  'ConnectWise Automate': ['ConnectWise'],
  Atera: ['Atera'],
  Splashtop: ['Splashtop'],
  NinjaOne: ['NinjaOne', 'NinjaRMM'],
  'Kaseya VSA': ['Kaseya'],
  'Datto RMM': ['Datto', 'Kaseya'],
  'N-able': ['N-able', 'SolarWinds'],
  LogMeIn: ['GoTo', 'LogMeIn'],
  'GoTo Resolve': ['GoTo', 'LogMeIn'],
  RustDesk: ['RustDesk'],
  'Chrome Remote Desktop': ['Google'],
  VNC: ['RealVNC'],
  'BeyondTrust Remote Support': ['BeyondTrust', 'Bomgar'],
  SimpleHelp: ['SimpleHelp'],
  'Zoho Assist': ['Zoho'],
  'Remote Utilities': ['Remote Utilities'],
  MeshCentral: ['MeshCentral'],
  'Tactical RMM': ['Tactical RMM', 'AmidaWare'],
  Action1: ['Action1'],
  Supremo: ['Supremo', 'Nanosystems'],
  'Ammyy Admin': ['Ammyy'],
  Radmin: ['Radmin', 'Famatech'],
  'Quick Assist': ['Microsoft'],
  DWService: ['DWService'],
};

const SUFFIX = /\b(inc|incorporated|ltd|limited|llc|plc|gmbh|ag|sa|bv|corp|corporation|co|company)\b\.?/g;

/** A name compared without case, punctuation or a company-form suffix ("ConnectWise, LLC" = "connectwise"). */
export function nameKey(name: string): string {
  return name
    .toLowerCase()
    .replace(SUFFIX, ' ')
    .replace(/[^a-z0-9]+/g, '');
}

export const vendorsOf = (tool: string): string[] => VENDORS[normaliseTool(tool)] ?? [];

/** The keys a register entry answers to: its name and its products (as tools normalise them). */
export function entryKeys(entry: { name: string; products: string[] }): Set<string> {
  const keys = new Set([nameKey(entry.name)]);
  for (const p of entry.products) {
    keys.add(nameKey(p));
    keys.add(nameKey(normaliseTool(p)));
  }
  return keys;
}

/**
 * Whether a tool in use is covered by the register (entry keys of every active entry, merged): an
 * entry names the tool, or is its vendor, also under a longer legal name ("AnyDesk Software GmbH"
 * is AnyDesk; vendor names of four letters or more match the start of an entry's name).
 */
export function toolRegistered(tool: string, registered: Set<string>): boolean {
  const exact = [tool, normaliseTool(tool), ...vendorsOf(tool)].map(nameKey).filter((k) => k !== '');
  if (exact.some((k) => registered.has(k))) return true;
  const vendors = vendorsOf(tool)
    .map(nameKey)
    .filter((k) => k.length >= 4);
  return [...registered].some((k) => vendors.some((v) => k.startsWith(v)));
}

import type { NetworkAction, NormalisedEventInput } from '@accord/contracts';

/**
 * Application control events in the Windows parser's input forms (Winlogbeat, EVTX to JSON):
 *
 * AppLocker (provider Microsoft-Windows-AppLocker; channels `…/EXE and DLL`, `…/MSI and Script`),
 * fields in UserData `RuleAndFileData` (PolicyName EXE / DLL / MSI / SCRIPT, RuleId, RuleName,
 * FilePath, FullFilePath, FileHash, Fqbn, TargetUser):
 *   8002 EXE or DLL allowed, 8003 EXE or DLL allowed but would have been blocked (audit only),
 *   8004 EXE or DLL blocked, 8005 MSI or script allowed, 8006 MSI or script allowed but would have
 *   been blocked (audit only), 8007 MSI or script blocked.
 * App Control for Business / WDAC (provider Microsoft-Windows-CodeIntegrity, channel
 * `…/Operational`), fields in EventData (`File Name`, `Process Name`, PolicyName, PolicyID):
 *   3076 a file would have been blocked (audit mode), 3077 a file was blocked (enforced).
 *
 * Each becomes class `app_control`, activity `app_allowed` / `app_audited` / `app_blocked`, with the
 * action (allowed / audited / blocked), the file as process name, the rule (AppLocker) or policy
 * (WDAC) as signature, and the device as destination host.
 */
const APPLOCKER: ReadonlyMap<number, NetworkAction> = new Map([
  [8002, 'allowed'],
  [8003, 'audited'],
  [8004, 'blocked'],
  [8005, 'allowed'],
  [8006, 'audited'],
  [8007, 'blocked'],
]);
const WDAC: ReadonlyMap<number, NetworkAction> = new Map([
  [3076, 'audited'],
  [3077, 'blocked'],
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The provider of a record in any of the accepted layouts, lower-cased; null when absent. */
export function providerOf(rec: Obj): string | null {
  const winlog = isObj(rec.winlog) ? rec.winlog : null;
  const root = isObj(rec.Event) ? rec.Event : rec;
  const sys = isObj(root.System) ? root.System : null;
  const p = winlog?.provider_name ?? root.ProviderName ?? root.Provider ?? sys?.Provider;
  const name = isObj(p)
    ? (p.Name ?? p['@Name'] ?? (isObj(p['#attributes']) ? p['#attributes'].Name : undefined))
    : p;
  return typeof name === 'string' && name.trim() !== '' ? name.trim().toLowerCase() : null;
}

/**
 * Whether a record is an application-control event this module reads: the event id is one of
 * AppLocker's or App Control's, and the channel or provider (when the record names either) is
 * theirs. A record naming neither is taken by its event id (these ids exist in no other log the
 * Windows parser reads).
 */
export function isAppControl(id: number, channel: string | null, provider: string | null): boolean {
  const c = channel?.toLowerCase() ?? null;
  if (APPLOCKER.has(id))
    return (
      (c === null && provider === null) || !!c?.includes('applocker') || !!provider?.includes('applocker')
    );
  if (WDAC.has(id))
    return (
      (c === null && provider === null) ||
      !!c?.includes('codeintegrity') ||
      !!provider?.includes('codeintegrity')
    );
  return false;
}

type FullEv = { -readonly [K in keyof Required<NormalisedEventInput>]: Required<NormalisedEventInput>[K] };
type NetKeys = 'dstIp' | 'dstPort' | 'protocol' | 'action' | 'signature' | 'signatureId' | 'severity';
type Ev = Omit<FullEv, NetKeys> & Partial<Pick<FullEv, NetKeys>>;

/** The account in the record's System/Security (or Winlogbeat's winlog.user), when given. */
function systemUser(rec: Obj): { user: string | null; domain: string | null } {
  const winlog = isObj(rec.winlog) ? rec.winlog : null;
  const u = isObj(winlog?.user) ? winlog.user : null;
  if (u) {
    const name = typeof u.name === 'string' && u.name ? u.name : null;
    const id = typeof u.identifier === 'string' && u.identifier ? u.identifier : null;
    return { user: name ?? id, domain: typeof u.domain === 'string' && u.domain ? u.domain : null };
  }
  const root = isObj(rec.Event) ? rec.Event : rec;
  const sys = isObj(root.System) ? root.System : null;
  const sec = isObj(sys?.Security) ? sys.Security : isObj(root.Security) ? root.Security : null;
  const sid =
    sec?.UserID ??
    sec?.['@UserID'] ??
    (isObj(sec?.['#attributes']) ? sec['#attributes'].UserID : undefined) ??
    root.UserId;
  return { user: typeof sid === 'string' && sid ? sid : null, domain: null };
}

/**
 * Fills an event from an application-control record. `get` reads EventData by name, `userData`
 * is the UserData element's fields (AppLocker's RuleAndFileData).
 */
export function appControlEvent(
  e: Ev,
  id: number,
  get: (name: string) => string | null,
  userData: Obj | null,
  rec: Obj,
  text: (v: unknown) => string | null,
): void {
  const action = APPLOCKER.get(id) ?? WDAC.get(id)!;
  e.class = 'app_control';
  e.activity = `app_${action}`;
  e.action = action;
  e.outcome = action === 'blocked' ? 'failure' : 'success';
  e.reason = action === 'blocked' ? 'policy_blocked' : null;
  const who = systemUser(rec);
  if (APPLOCKER.has(id)) {
    const f = (name: string) => text(userData?.[name]) ?? get(name);
    const policy = f('PolicyName');
    e.app = policy ? `AppLocker ${policy.toUpperCase()}` : 'AppLocker';
    e.processName = f('FullFilePath') ?? f('FilePath');
    const rule = f('RuleName');
    e.signature = rule;
    const ruleId = f('RuleId');
    e.signatureId = ruleId && !/^\{?0{8}-0{4}-0{4}-0{4}-0{12}\}?$/.test(ruleId) ? ruleId : null;
    e.user = who.user ?? f('TargetUser');
    e.userDomain = who.domain;
    e.reasonDetail = f('Fqbn');
  } else {
    const f = (name: string) => get(name) ?? get(name.replace(/ /g, ''));
    e.app = 'App Control';
    e.processName = f('File Name');
    e.signature = f('PolicyName');
    e.signatureId = f('PolicyID') ?? f('PolicyGUID');
    e.user = who.user;
    e.userDomain = who.domain;
    const parent = f('Process Name');
    e.reasonDetail = parent ? `loaded by ${parent}` : null;
  }
}

import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import {
  blankEvent,
  defenderSeverity,
  FieldError,
  ipField,
  isoField,
  textOf,
  type Ev,
} from './network-fields.ts';

/**
 * Microsoft Defender for Endpoint alerts, as the security alerts APIs return them (one alert per
 * record; a `{ "value": [...] }` page is split by ingest):
 *
 * - the Defender for Endpoint API (`GET /api/alerts`, "Alert resource type"): `id`, `title`,
 *   `severity` (UnSpecified, Informational, Low, Medium, High), `status`, `category`,
 *   `detectionSource`, `alertCreationTime`, `firstEventTime`, `computerDnsName`, `relatedUser`
 *   `{ userName, domainName }`, `loggedOnUsers`, `evidence` (`entityType` File / Process / Ip / …);
 * - Microsoft Graph security `alerts_v2` (`GET /security/alerts_v2`): `id`, `title`, `severity`
 *   (lower case), `status`, `category`, `serviceSource`, `createdDateTime`, `evidence` with
 *   `deviceEvidence.deviceDnsName`, `userEvidence.userAccount`, `processEvidence.imageFile`.
 *
 * Each becomes class `finding`, activity `edr_alert` (`edr_alert_resolved` once its status is
 * resolved), with the severity mapped to Accord's levels, the device as destination host, the
 * user, and the alert title as signature (its id as signature id). An alert without an id, a
 * title, a creation time or with a severity Defender does not define is rejected.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const SEVERITY_WORDS = new Set(['unspecified', 'unknown', 'informational', 'low', 'medium', 'high']);

function severityOf(rec: Obj, e: Ev): void {
  const s = textOf(rec.severity);
  if (s === null) throw new FieldError('missing severity');
  if (!SEVERITY_WORDS.has(s.toLowerCase()))
    throw new FieldError(
      `severity ${JSON.stringify(s)} is not one Defender uses (Informational, Low, Medium, High)`,
    );
  e.severity = defenderSeverity(s);
}

function userOf(u: unknown): { user: string | null; domain: string | null } {
  if (!isObj(u)) return { user: null, domain: null };
  const upn = textOf(u.userPrincipalName);
  return {
    user: textOf(u.userName) ?? textOf(u.accountName) ?? upn,
    domain: textOf(u.domainName),
  };
}

function fromApi(rec: Obj, e: Ev): void {
  e.dstHost = textOf(rec.computerDnsName);
  let u = userOf(rec.relatedUser);
  if (u.user === null && Array.isArray(rec.loggedOnUsers)) u = userOf(rec.loggedOnUsers[0]);
  e.user = u.user;
  e.userDomain = u.domain;
  e.app = textOf(rec.detectionSource) ?? 'defender_endpoint';
  for (const ev of Array.isArray(rec.evidence) ? rec.evidence : []) {
    if (!isObj(ev)) continue;
    const type = textOf(ev.entityType)?.toLowerCase();
    if (type === 'process' && e.processName === null) {
      const path = textOf(ev.filePath);
      const name = textOf(ev.fileName);
      e.processName = path && name ? `${path.replace(/\\$/, '')}\\${name}` : (name ?? path);
      e.commandLine = textOf(ev.processCommandLine);
    } else if (type === 'ip' && e.dstIp === null) {
      e.dstIp = ipField(ev.ipAddress, 'evidence.ipAddress');
    }
  }
}

function fromGraph(rec: Obj, e: Ev): void {
  e.app = textOf(rec.serviceSource) ?? textOf(rec.detectionSource) ?? 'defender_endpoint';
  for (const ev of Array.isArray(rec.evidence) ? rec.evidence : []) {
    if (!isObj(ev)) continue;
    const type = textOf(ev['@odata.type'])?.toLowerCase() ?? '';
    if (type.endsWith('deviceevidence') && e.dstHost === null) e.dstHost = textOf(ev.deviceDnsName);
    else if (type.endsWith('userevidence') && e.user === null) {
      const u = userOf(ev.userAccount);
      e.user = u.user;
      e.userDomain = u.domain;
    } else if (type.endsWith('processevidence') && e.processName === null) {
      const img = isObj(ev.imageFile) ? ev.imageFile : null;
      const path = textOf(img?.filePath);
      const name = textOf(img?.fileName);
      e.processName = path && name ? `${path.replace(/\\$/, '')}\\${name}` : (name ?? path);
      e.commandLine = textOf(ev.processCommandLine);
    } else if (type.endsWith('ipevidence') && e.dstIp === null) {
      e.dstIp = ipField(ev.ipAddress, 'evidence.ipAddress');
    }
  }
}

function parseAlert(rec: Obj, ctx: ParseContext): Ev {
  const id = textOf(rec.id);
  if (id === null) throw new FieldError('missing id');
  const title = textOf(rec.title);
  if (title === null) throw new FieldError('missing title');
  const graph = rec.createdDateTime !== undefined || rec.serviceSource !== undefined;
  const time = graph
    ? isoField(rec.createdDateTime, 'createdDateTime', ctx.utcOffsetMinutes ?? 0)
    : isoField(rec.alertCreationTime, 'alertCreationTime', ctx.utcOffsetMinutes ?? 0);
  const e = blankEvent(time, 'defender:alert');
  severityOf(rec, e);
  e.class = 'finding';
  const status = textOf(rec.status)?.toLowerCase();
  e.activity = status === 'resolved' ? 'edr_alert_resolved' : 'edr_alert';
  e.signature = title;
  e.signatureId = id;
  e.reasonDetail = textOf(rec.category);
  if (graph) fromGraph(rec, e);
  else fromApi(rec, e);
  return e;
}

export const mdeAlertsParser: Parser<unknown> = {
  kind: 'mde_alerts',
  input: 'json',
  parse(record: unknown, ctx: ParseContext): ParseResult {
    if (!isObj(record))
      return {
        ok: false,
        error: `expected a JSON object (one alert), got ${Array.isArray(record) ? 'an array' : typeof record}`,
      };
    try {
      return { ok: true, event: parseAlert(record, ctx) };
    } catch (e) {
      if (e instanceof FieldError) return { ok: false, error: e.message };
      throw e;
    }
  },
};

import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import {
  actionOf,
  blankEvent,
  domainOf,
  FieldError,
  ipField,
  isoField,
  outcomeOfAction,
  portField,
  protocolOf,
  suricataSeverity,
  textOf,
  type Ev,
} from './network-fields.ts';

/**
 * Suricata EVE JSON (one event per line, docs.suricata.io "Eve JSON Format"). The common section
 * gives `timestamp` (ISO-8601 with a `+0000` style zone), `event_type`, `src_ip`, `src_port`,
 * `dest_ip`, `dest_port`, `proto` and `app_proto`; each event type adds its own object:
 *
 * - `alert`: class `finding`, activity `ids_alert`; `alert.signature`, `alert.signature_id`,
 *   `alert.category`, `alert.action` (allowed / blocked) and `alert.severity` (1 most severe),
 *   mapped to a level by suricataSeverity. The host named in the alert's `http`, `tls` or `dns`
 *   object, when present, is the destination host.
 * - `flow`: class `network`, activity `flow`; `flow.action` (IPS mode) when present.
 * - `dns`: activity `dns_query` or `dns_answer`; the name asked for (`dns.rrname` in the version 2
 *   format, `dns.queries[0].rrname` in version 3) is the destination host.
 * - `tls`: activity `tls_handshake`; `tls.sni` is the destination host.
 * - `http`: activity `http_request`; `http.hostname` is the destination host.
 * - `drop` (IPS): activity `packet_dropped`, action blocked.
 * Other event types are kept as class `network` (with addresses) or `other` (stats, without).
 * Malformed input is rejected: no `event_type`, a bad `timestamp`, an address or port that is not
 * one, an `alert` without its `alert.signature`.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const EVENT_TYPE_RE = /^[a-z][a-z0-9_]{0,40}$/;

function hostOfAppLayer(rec: Obj): string | null {
  const http = isObj(rec.http) ? rec.http : null;
  const tls = isObj(rec.tls) ? rec.tls : null;
  const dns = isObj(rec.dns) ? rec.dns : null;
  return domainOf(http?.hostname) ?? domainOf(tls?.sni) ?? (dns ? dnsName(dns) : null);
}

function dnsName(dns: Obj): string | null {
  if (dns.rrname !== undefined) return domainOf(dns.rrname);
  // Version 3 `queries`; the dns object of an alert (before version 3) holds `query`.
  const list = Array.isArray(dns.queries) ? dns.queries : Array.isArray(dns.query) ? dns.query : [];
  const q: unknown = list[0];
  return isObj(q) ? domainOf(q.rrname) : null;
}

function parseRecord(rec: Obj, ctx: ParseContext): Ev {
  const type = rec.event_type;
  if (typeof type !== 'string' || !EVENT_TYPE_RE.test(type))
    throw new FieldError(
      type === undefined ? 'missing event_type' : `invalid event_type ${JSON.stringify(type)}`,
    );
  const e = blankEvent(isoField(rec.timestamp, 'timestamp', ctx.utcOffsetMinutes ?? 0), `suricata:${type}`);
  e.srcIp = ipField(rec.src_ip, 'src_ip');
  e.srcPort = portField(rec.src_port, 'src_port');
  e.dstIp = ipField(rec.dest_ip, 'dest_ip');
  e.dstPort = portField(rec.dest_port, 'dest_port');
  const transport = protocolOf(rec.proto);
  const appProto = textOf(rec.app_proto);
  e.protocol = appProto && appProto !== 'failed' ? appProto.toLowerCase() : transport;
  e.dstHost = hostOfAppLayer(rec);
  e.class = e.srcIp !== null || e.dstIp !== null ? 'network' : 'other';
  e.activity = type;

  switch (type) {
    case 'alert': {
      const a = rec.alert;
      if (!isObj(a)) throw new FieldError('an alert event without its "alert" object');
      const signature = textOf(a.signature);
      if (signature === null) throw new FieldError('alert.signature is missing');
      const priority = a.severity === undefined ? 3 : Number(a.severity);
      if (!Number.isInteger(priority) || priority < 1 || priority > 255)
        throw new FieldError(`alert.severity is not a priority: ${JSON.stringify(a.severity)}`);
      const meta = isObj(a.metadata) ? a.metadata : null;
      const sev = Array.isArray(meta?.signature_severity) ? meta.signature_severity : [];
      const critical = sev.some((s) => typeof s === 'string' && s.toLowerCase() === 'critical');
      e.class = 'finding';
      e.activity = 'ids_alert';
      e.signature = signature;
      e.signatureId = textOf(a.signature_id);
      e.severity = suricataSeverity(priority, critical);
      e.reasonDetail = textOf(a.category);
      e.action = actionOf(textOf(a.action));
      e.outcome = 'unknown';
      e.app = 'suricata';
      return e;
    }
    case 'flow': {
      const f = isObj(rec.flow) ? rec.flow : {};
      e.activity = 'flow';
      e.protocol = transport;
      e.action = actionOf(textOf(f.action));
      break;
    }
    case 'dns': {
      const dns = isObj(rec.dns) ? rec.dns : null;
      if (!dns) throw new FieldError('a dns event without its "dns" object');
      const t = textOf(dns.type)?.toLowerCase();
      e.activity = t === 'answer' || t === 'response' ? 'dns_answer' : 'dns_query';
      e.protocol = 'dns';
      const rcode = textOf(dns.rcode);
      if (rcode !== null && rcode.toUpperCase() !== 'NOERROR') e.reasonDetail = rcode;
      break;
    }
    case 'tls':
      e.activity = 'tls_handshake';
      e.protocol = 'tls';
      break;
    case 'http':
      e.activity = 'http_request';
      e.protocol = 'http';
      break;
    case 'drop':
      e.activity = 'packet_dropped';
      e.protocol = transport;
      e.action = 'blocked';
      break;
  }
  e.outcome = outcomeOfAction(e.action);
  return e;
}

export const suricataEveParser: Parser<unknown> = {
  kind: 'suricata_eve',
  input: 'json',
  parse(record: unknown, ctx: ParseContext): ParseResult {
    if (!isObj(record))
      return {
        ok: false,
        error: `expected a JSON object, got ${Array.isArray(record) ? 'an array' : typeof record}`,
      };
    try {
      return { ok: true, event: parseRecord(record, ctx) };
    } catch (e) {
      if (e instanceof FieldError) return { ok: false, error: e.message };
      throw e;
    }
  },
};

import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import { parseSyslog } from './syslog.ts';
import { blankEvent, FieldError, ipField, outcomeOfAction, portField, protocolOf } from './network-fields.ts';
import type { NetworkAction } from '@accord/contracts';

/**
 * pfSense and OPNsense `filterlog` lines (Netgate, "Raw Filter Log Format"): a syslog header whose
 * program is `filterlog`, then comma-separated values:
 *
 *   rule number, sub-rule, anchor, tracker, interface, reason, action (pass / block / reject),
 *   direction (in / out), IP version,
 *   IPv4: TOS, ECN, TTL, ID, offset, flags, protocol id, protocol text, length, source, destination
 *   IPv6: class, flow label, hop limit, protocol text, protocol id, length, source, destination
 *   then for TCP and UDP: source port, destination port, data length (TCP: flags, sequence, …).
 *
 * The tracker (the rule's unique id) is the signature id; the action maps to allowed / blocked.
 * Lines of other programs on the same syslog stream are class `other`; a filterlog line with too
 * few fields, an unknown IP version or a bad address or port is rejected with the field at fault.
 */
const ACTIONS: Readonly<Record<string, NetworkAction>> = {
  pass: 'allowed',
  block: 'blocked',
  reject: 'blocked',
};

export const filterlogParser: Parser<string> = {
  kind: 'filterlog',
  input: 'line',
  parse(record: string, ctx: ParseContext): ParseResult {
    if (typeof record !== 'string') return { ok: false, error: `expected a text line, got ${typeof record}` };
    const s = parseSyslog(record, ctx);
    if (!s.ok) return s;
    const { message } = s;
    const e = blankEvent(message.time, 'filterlog');
    e.app = message.app;
    if (message.app?.toLowerCase() !== 'filterlog') {
      e.vendorEventId = message.app;
      return { ok: true, event: e };
    }
    const f = message.msg.trim().split(',');
    const need = (n: number, what: string) => {
      if (f.length < n)
        throw new FieldError(`truncated filterlog line: ${f.length} fields, ${what} needs ${n}`);
    };
    try {
      need(9, 'the common part');
      const version = f[8];
      let at: number;
      if (version === '4') {
        need(20, 'an IPv4 packet');
        e.protocol = protocolOf(f[16]) ?? protocolOf(f[15]);
        at = 18;
      } else if (version === '6') {
        need(17, 'an IPv6 packet');
        e.protocol = protocolOf(f[12]) ?? protocolOf(f[13]);
        at = 15;
      } else throw new FieldError(`unknown IP version ${JSON.stringify(version)} (field 9)`);
      e.srcIp = ipField(f[at], `source address (field ${at + 1})`);
      e.dstIp = ipField(f[at + 1], `destination address (field ${at + 2})`);
      if (e.protocol === 'tcp' || e.protocol === 'udp') {
        need(at + 4, `a ${e.protocol} packet`);
        e.srcPort = portField(f[at + 2], `source port (field ${at + 3})`);
        e.dstPort = portField(f[at + 3], `destination port (field ${at + 4})`);
      }
    } catch (err) {
      if (err instanceof FieldError) return { ok: false, error: err.message };
      throw err;
    }
    const action = (f[6] ?? '').trim().toLowerCase();
    e.class = 'network';
    e.activity = 'packet_logged';
    e.action = ACTIONS[action] ?? null;
    e.outcome = outcomeOfAction(e.action);
    e.signatureId = f[3]?.trim() || null;
    e.signature = f[0]?.trim() ? `rule ${f[0].trim()}${f[3]?.trim() ? ` (${f[3].trim()})` : ''}` : null;
    e.reasonDetail = `${f[7]?.trim() || '?'} on ${f[4]?.trim() || '?'}: ${f[5]?.trim() || '?'}`;
    e.vendorEventId = 'filterlog';
    return { ok: true, event: e };
  },
};

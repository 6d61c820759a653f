import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import { parseSyslog } from './syslog.ts';
import {
  actionOf,
  blankEvent,
  FieldError,
  ipField,
  outcomeOfAction,
  portField,
  protocolOf,
} from './network-fields.ts';

/**
 * Linux netfilter packet log lines, as the kernel writes them for an iptables `LOG` target or an
 * nftables `log` statement (nf_log_syslog) and syslog carries them:
 *
 *   May 14 10:15:01 fw01 kernel: [12345.678901] DROP-IN: IN=eth0 OUT= MAC=… SRC=203.0.113.9
 *     DST=198.51.100.10 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=4321 DF PROTO=TCP SPT=51234 DPT=22
 *     WINDOW=29200 RES=0x00 SYN URGP=0
 *
 * The text before `IN=` is the rule's `--log-prefix` (`prefix` in nftables): it is the signature,
 * and its words say the action (drop / reject / block / deny: blocked; accept / allow / pass:
 * allowed; anything else: not known). `SRC`, `DST`, `PROTO`, `SPT`, `DPT` are the addresses, the
 * protocol and the ports (ICMP has `TYPE`/`CODE` instead of ports). The syslog header (RFC 3164 or
 * 5424) gives the time and the firewall's name. A well-formed syslog line that is not a packet log
 * line is class `other`; a packet log line with a bad address or port is rejected.
 */
const KV_RE = /([A-Z][A-Z0-9_]*)=(\S*)/g;
const KERNEL_TIME_RE = /^\[\s*\d+\.\d+\]\s*/;

export const netfilterParser: Parser<string> = {
  kind: 'netfilter',
  input: 'line',
  parse(record: string, ctx: ParseContext): ParseResult {
    if (typeof record !== 'string') return { ok: false, error: `expected a text line, got ${typeof record}` };
    const s = parseSyslog(record, ctx);
    if (!s.ok) return s;
    const { message } = s;
    let msg = message.msg.replace(KERNEL_TIME_RE, '');
    const at = msg.search(/(?:^|\s)IN=/);
    const e = blankEvent(message.time, 'netfilter');
    e.app = message.app;
    if (at < 0 || !/\bSRC=/.test(msg)) {
      e.vendorEventId = message.app;
      return { ok: true, event: e }; // not a packet log line: kept as class other
    }
    const prefix = msg.slice(0, at).trim().replace(/:$/, '').trim();
    msg = msg.slice(at);
    const kv = new Map<string, string>();
    for (const m of msg.matchAll(KV_RE)) if (!kv.has(m[1]!)) kv.set(m[1]!, m[2]!);
    try {
      e.class = 'network';
      e.activity = 'packet_logged';
      e.srcIp = ipField(kv.get('SRC'), 'SRC');
      e.dstIp = ipField(kv.get('DST'), 'DST');
      if (e.srcIp === null || e.dstIp === null)
        throw new FieldError('a packet log line without SRC= and DST=');
      e.protocol = protocolOf(kv.get('PROTO'));
      e.srcPort = portField(kv.get('SPT'), 'SPT');
      e.dstPort = portField(kv.get('DPT'), 'DPT');
    } catch (err) {
      if (err instanceof FieldError) return { ok: false, error: err.message };
      throw err;
    }
    e.signature = prefix === '' ? null : prefix;
    e.action = actionOf(prefix.replace(/[_-]/g, ' '));
    e.outcome = outcomeOfAction(e.action);
    // The firewall that logged the packet: its in/out interfaces say which way it crossed.
    e.reasonDetail =
      [kv.get('IN') ? `in=${kv.get('IN')}` : '', kv.get('OUT') ? `out=${kv.get('OUT')}` : '']
        .filter(Boolean)
        .join(' ') || null;
    e.vendorEventId = 'netfilter';
    return { ok: true, event: e };
  },
};

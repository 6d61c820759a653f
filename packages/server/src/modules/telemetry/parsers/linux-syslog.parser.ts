import { isIP } from 'node:net';
import type { EventClass, FailureReason, Outcome } from '@accord/contracts';
import type { ParseContext, ParseResult, Parser } from './parser.types.ts';
import { parseSyslog, unwrapRepeated } from './syslog.ts';

/**
 * Linux syslog (RFC 3164 or RFC 5424) lines from sshd, PAM, sudo and su, as normalised events.
 *
 * Activities (class / activity):
 * - authentication / logon: sshd `Accepted|Failed <method> for [invalid user ]X from IP port N`;
 *   the one verdict per attempt (`message repeated N times: [ ... ]` yields the inner event).
 * - authentication / logon_partial: sshd `Partial <method>` (one of several required methods passed).
 * - authentication / invalid_user: sshd `Invalid user X from IP`, `input_userauth_request: invalid
 *   user X`, PAM `check pass; user unknown` (failure, unknown_user).
 * - authentication / pam_authenticate: PAM `authentication failure; ... rhost= user=` (bad_password
 *   when PAM names the user, unknown_user when it does not: pam_unix omits unknown users), the
 *   `PAM N more authentication failures` summary, sshd `error: PAM: Authentication failure`.
 * - authentication / auth_attempts_exceeded: sshd `Disconnecting: Too many authentication failures`,
 *   `error: maximum authentication attempts exceeded` (failure, other).
 * - authentication / user_not_allowed: sshd `User X from H not allowed because ...` (policy_blocked,
 *   or locked).
 * - session / session_opened, session_closed: PAM `session opened|closed for user X [by Y(uid=N)]`.
 *   For su/sudo/runuser services `user` is the invoking account and `targetUser` the account switched to.
 * - privilege_use / sudo: `alice : TTY=.. ; PWD=.. ; USER=root ; COMMAND=..` (success) or with a
 *   leading complaint (`3 incorrect password attempts`, `user NOT in sudoers`: failure).
 * - privilege_use / su: `FAILED SU (to root) alice on pts/0`, `(to root) alice on pts/0`,
 *   `Successful su for root by alice`, `+|- pts/0 alice:root`.
 * - account_change / password_changed: PAM `password changed for X`.
 * - other / connection_closed, disconnect_received, disconnected, no_identification,
 *   reverse_mapping_failed: sshd connection-level messages (srcIp/srcPort kept).
 * - other / syslog_message: anything else well-formed.
 *
 * srcIp holds only IP literals: a host name (PAM rhost, sshd with UseDNS) leaves it null. mfaUsed
 * stays null: no single sshd line proves a second factor (keyboard-interactive/pam may be a plain
 * password). dstHost is the syslog host, processName the program without a `(pam_unix)` suffix,
 * vendorEventId the program as logged (`sshd`, `sshd(pam_unix)`), app the service signed in to.
 */

interface Ev {
  time: string;
  class: EventClass;
  activity: string;
  outcome: Outcome;
  reason: FailureReason | null;
  reasonDetail: string | null;
  user: string | null;
  userDomain: null;
  targetUser: string | null;
  group: null;
  srcIp: string | null;
  srcPort: number | null;
  geo: null;
  dstHost: string | null;
  app: string | null;
  authProtocol: string | null;
  mfaUsed: boolean | null;
  processName: string | null;
  commandLine: string | null;
  vendorEventId: string | null;
}

const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The text if it is an IPv4 or IPv6 literal, else null (host names are not addresses). */
function ipOrNull(s: string | undefined | null): string | null {
  if (!s) return null;
  if (IPV4_RE.test(s)) return s;
  return s.indexOf(':') !== -1 && isIP(s) === 6 ? s : null;
}

function portOrNull(s: string | undefined): number | null {
  if (s === undefined) return null;
  const n = +s;
  return n >= 0 && n <= 65535 ? n : null;
}

function nonEmpty(s: string | undefined | null): string | null {
  return s ? s : null;
}

function auth(
  ev: Ev,
  activity: string,
  outcome: Outcome,
  reason: FailureReason | null,
  service: string,
): void {
  ev.class = 'authentication';
  ev.activity = activity;
  ev.outcome = outcome;
  ev.reason = reason;
  ev.app = service;
}

function other(ev: Ev, activity: string, srcIp: string | null, srcPort: number | null): void {
  ev.activity = activity;
  ev.srcIp = srcIp;
  ev.srcPort = srcPort;
}

// ---------------------------------------------------------------------------------------------
// sshd. The user name is attacker-controlled and may contain spaces or " from ": every pattern
// anchors the trailing, sshd-written part at the end of the line and lets the user match greedily.

const SSHD_AUTH_RE =
  /^(Accepted|Failed|Partial) (\S+) for ((?:invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh[12])?(?:: .*)?$/;
const SSHD_INVALID_RE = /^(?:Invalid|Illegal) user (.*) from (\S+?)(?: port (\d+))?$/;
const SSHD_INPUT_USERAUTH_RE = /^input_userauth_request: (?:invalid|illegal) user (.*?)(?: \[preauth\])?$/;
const SSHD_CONN_CLOSED_RE = /^Connection (?:closed|reset) by (\S+?)(?: port (\d+))?(?: \[preauth\])?$/;
const SSHD_CONN_CLOSED_USER_RE =
  /^Connection (?:closed|reset) by (?:authenticating|invalid) user (.*) (\S+) port (\d+)(?: \[preauth\])?$/;
const SSHD_RECEIVED_DISCONNECT_RE = /^(?:error: )?Received disconnect from (\S+)(?: port (\d+))?: ?\d+: /;
const SSHD_DISCONNECTED_RE =
  /^Disconnected from (?:(?:authenticating |invalid )?user (.*) )?(\S+) port (\d+)(?: \[preauth\])?$/;
const SSHD_TOO_MANY_OLD_RE =
  /^Disconnecting: Too many authentication failures(?: for (?:(?:invalid|illegal) user )?(.*?))?(?: \[preauth\])?$/;
const SSHD_TOO_MANY_NEW_RE =
  /^Disconnecting (?:(?:authenticating|invalid) user )?(.*) (\S+) port (\d+): Too many authentication failures(?: \[preauth\])?$/;
const SSHD_MAX_ATTEMPTS_RE =
  /^error: maximum authentication attempts exceeded for (?:(?:invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh[12])?(?: \[preauth\])?$/;
const SSHD_PAM_ERROR_RE =
  /^error: PAM: Authentication failure for (?:(?:invalid|illegal) user )?(.*) from (\S+)$/;
const SSHD_REVERSE_RE = /^reverse mapping checking getaddrinfo for \S+ \[([^\]]+)\] failed/;
const SSHD_MAPS_BACK_RE = /^Address (\S+) maps to \S+, but this does not map back/;
const SSHD_NO_IDENT_RE = /^Did not receive identification string from (\S+?)(?: port (\d+))?$/;
const SSHD_NOT_ALLOWED_RE = /^User (.*?) (?:from (\S+) )?not allowed because (.*)$/;

function sshd(ev: Ev, msg: string): void {
  const c = msg.charCodeAt(0);
  let m: RegExpExecArray | null;
  if (c === 70 /* F */ || c === 65 /* A */ || c === 80 /* P */) {
    if ((m = SSHD_AUTH_RE.exec(msg)) !== null) {
      const verdict = m[1]!;
      const method = m[2]!;
      const slash = method.indexOf('/');
      const protocol = slash === -1 ? method : method.slice(0, slash);
      if (verdict === 'Failed') {
        auth(
          ev,
          'logon',
          'failure',
          m[3] !== undefined
            ? 'unknown_user'
            : protocol === 'password' || protocol === 'keyboard-interactive'
              ? 'bad_password'
              : 'other',
          'sshd',
        );
      } else auth(ev, verdict === 'Accepted' ? 'logon' : 'logon_partial', 'success', null, 'sshd');
      ev.authProtocol = protocol;
      ev.user = nonEmpty(m[4]);
      ev.srcIp = ipOrNull(m[5]);
      ev.srcPort = portOrNull(m[6]);
    } else if (c === 80 && msg.startsWith('PAM ')) {
      pamLine(ev, 'sshd', msg);
    } else if (c === 65 && (m = SSHD_MAPS_BACK_RE.exec(msg)) !== null) {
      other(ev, 'reverse_mapping_failed', ipOrNull(m[1]), null);
    }
    return;
  }
  if (c === 73 /* I */ && (m = SSHD_INVALID_RE.exec(msg)) !== null) {
    auth(ev, 'invalid_user', 'failure', 'unknown_user', 'sshd');
    ev.user = nonEmpty(m[1]);
    ev.srcIp = ipOrNull(m[2]);
    ev.srcPort = portOrNull(m[3]);
    return;
  }
  if (c === 105 /* i */ && (m = SSHD_INPUT_USERAUTH_RE.exec(msg)) !== null) {
    auth(ev, 'invalid_user', 'failure', 'unknown_user', 'sshd');
    ev.user = nonEmpty(m[1]);
    return;
  }
  if (c === 82 /* R */ || c === 101 /* e */) {
    if ((m = SSHD_RECEIVED_DISCONNECT_RE.exec(msg)) !== null) {
      return other(ev, 'disconnect_received', ipOrNull(m[1]), portOrNull(m[2]));
    }
    if (c === 101) {
      if ((m = SSHD_MAX_ATTEMPTS_RE.exec(msg)) !== null) {
        auth(ev, 'auth_attempts_exceeded', 'failure', 'other', 'sshd');
        ev.reasonDetail = 'maximum authentication attempts exceeded';
        ev.user = nonEmpty(m[1]);
        ev.srcIp = ipOrNull(m[2]);
        ev.srcPort = portOrNull(m[3]);
      } else if ((m = SSHD_PAM_ERROR_RE.exec(msg)) !== null) {
        auth(ev, 'pam_authenticate', 'failure', 'bad_password', 'sshd');
        ev.user = nonEmpty(m[1]);
        ev.srcIp = ipOrNull(m[2]);
      }
    }
    return;
  }
  if (c === 114 /* r */ && (m = SSHD_REVERSE_RE.exec(msg)) !== null) {
    return other(ev, 'reverse_mapping_failed', ipOrNull(m[1]), null);
  }
  if (c === 67 /* C */) {
    if ((m = SSHD_CONN_CLOSED_RE.exec(msg)) !== null) {
      other(ev, 'connection_closed', ipOrNull(m[1]), portOrNull(m[2]));
    } else if ((m = SSHD_CONN_CLOSED_USER_RE.exec(msg)) !== null) {
      other(ev, 'connection_closed', ipOrNull(m[2]), portOrNull(m[3]));
      ev.user = nonEmpty(m[1]);
    }
    return;
  }
  if (c === 68 /* D */) {
    if ((m = SSHD_TOO_MANY_OLD_RE.exec(msg)) !== null) {
      auth(ev, 'auth_attempts_exceeded', 'failure', 'other', 'sshd');
      ev.reasonDetail = 'too many authentication failures';
      ev.user = nonEmpty(m[1]);
    } else if ((m = SSHD_TOO_MANY_NEW_RE.exec(msg)) !== null) {
      auth(ev, 'auth_attempts_exceeded', 'failure', 'other', 'sshd');
      ev.reasonDetail = 'too many authentication failures';
      ev.user = nonEmpty(m[1]);
      ev.srcIp = ipOrNull(m[2]);
      ev.srcPort = portOrNull(m[3]);
    } else if ((m = SSHD_DISCONNECTED_RE.exec(msg)) !== null) {
      other(ev, 'disconnected', ipOrNull(m[2]), portOrNull(m[3]));
      ev.user = nonEmpty(m[1]);
    } else if ((m = SSHD_NO_IDENT_RE.exec(msg)) !== null) {
      other(ev, 'no_identification', ipOrNull(m[1]), portOrNull(m[2]));
    }
    return;
  }
  if (c === 85 /* U */ && (m = SSHD_NOT_ALLOWED_RE.exec(msg)) !== null) {
    const why = m[3]!;
    auth(ev, 'user_not_allowed', 'failure', why.includes('locked') ? 'locked' : 'policy_blocked', 'sshd');
    ev.reasonDetail = why;
    ev.user = nonEmpty(m[1]);
    ev.srcIp = ipOrNull(m[2]);
  }
}

// ---------------------------------------------------------------------------------------------
// PAM: `pam_unix(sshd:auth): <text>` (any module, any service) and the old `sshd(pam_unix)[pid]:`.

const PAM_PREFIX_RE = /^(pam_[A-Za-z0-9_]+)\(([^:)\s]+):([a-z]+)\): /;
const PAM_MORE_RE = /^PAM \d+ more authentication failures?; /;
const PAM_SESSION_RE =
  /^session (opened|closed) for user ([^\s(]+)(?:\(uid=\d+\))?(?: by ([^\s(]*)\(uid=\d+\))?\s*$/;
const PAM_PASSWORD_CHANGED_RE = /^password changed for (\S+)\s*$/;
/** Services whose sessions switch user: `for user` is the target, `by` the invoker. */
const SWITCH_USER_SERVICES = new Set(['su', 'su-l', 'sudo', 'sudo-i', 'runuser', 'runuser-l']);

/** Value of ` key=value` in a PAM key=value list; null when absent or empty. */
function pamField(text: string, key: string): string | null {
  let k = text.indexOf(' ' + key + '=');
  if (k === -1) {
    if (!text.startsWith(key + '=')) return null;
    k = 0;
  } else k += 1;
  const s = k + key.length + 1;
  let e = text.indexOf(' ', s);
  if (e === -1) e = text.length;
  return e > s ? text.slice(s, e) : null;
}

function pamAuthFailure(ev: Ev, service: string, text: string, detail: string | null): void {
  const user = pamField(text, 'user');
  auth(ev, 'pam_authenticate', 'failure', user === null ? 'unknown_user' : 'bad_password', service);
  ev.reasonDetail = detail;
  ev.user = user;
  const rhost = pamField(text, 'rhost');
  ev.srcIp = ipOrNull(rhost);
}

/** Classify the text of a PAM message (after any `pam_x(svc:type): ` prefix). */
function pamLine(ev: Ev, service: string, text: string): void {
  const c = text.charCodeAt(0);
  if (c === 97 /* a */ && text.startsWith('authentication failure;')) {
    return pamAuthFailure(ev, service, text, null);
  }
  if (c === 99 /* c */ && text.startsWith('check pass; user unknown')) {
    auth(ev, 'invalid_user', 'failure', 'unknown_user', service);
    return;
  }
  if (c === 115 /* s */) {
    const m = PAM_SESSION_RE.exec(text);
    if (m === null) return;
    ev.class = 'session';
    ev.activity = m[1] === 'opened' ? 'session_opened' : 'session_closed';
    ev.outcome = 'success';
    ev.app = service;
    if (SWITCH_USER_SERVICES.has(service)) {
      ev.user = nonEmpty(m[3]);
      ev.targetUser = m[2]!;
    } else ev.user = m[2]!;
    return;
  }
  if (c === 80 /* P */) {
    const m = PAM_MORE_RE.exec(text);
    if (m !== null) pamAuthFailure(ev, service, text, m[0].slice(4, -2));
    return;
  }
  if (c === 112 /* p */) {
    const m = PAM_PASSWORD_CHANGED_RE.exec(text);
    if (m === null) return;
    ev.class = 'account_change';
    ev.activity = 'password_changed';
    ev.outcome = 'success';
    ev.app = service;
    ev.user = m[1]!;
  }
}

// ---------------------------------------------------------------------------------------------
// sudo and su

const SUDO_RE = /^\s*(\S+) : (.*)$/;
const SUDO_FIELD_RE = /^[A-Z]+=/;
const SUDO_USER_RE = /(?:^| ; )USER=([^\s;]+)/;
const SUDO_BAD_PASSWORD_RE = /incorrect password attempt/;
const SUDO_POLICY_RE = /not in sudoers|not allowed|not authorized/i;

function sudo(ev: Ev, msg: string): void {
  const m = SUDO_RE.exec(msg);
  if (m === null) return;
  const rest = m[2]!;
  let cmd: string | null = null;
  let head = rest;
  const k = rest.indexOf(' ; COMMAND=');
  if (k !== -1) {
    cmd = rest.slice(k + 11);
    head = rest.slice(0, k);
  } else if (rest.startsWith('COMMAND=')) {
    cmd = rest.slice(8);
    head = '';
  }
  const firstEnd = head.indexOf(' ; ');
  const first = firstEnd === -1 ? head : head.slice(0, firstEnd);
  const isDecision = first === '' || SUDO_FIELD_RE.test(first);
  // A sudo log entry always carries its fields (TTY, PWD, USER, COMMAND); otherwise it is other.
  if (cmd === null && !head.includes('TTY=') && !head.includes('USER=')) return;
  ev.class = 'privilege_use';
  ev.activity = 'sudo';
  ev.app = 'sudo';
  ev.user = m[1]!;
  ev.targetUser = SUDO_USER_RE.exec(head)?.[1] ?? null;
  ev.commandLine = cmd;
  if (isDecision) {
    ev.outcome = 'success';
  } else {
    ev.outcome = 'failure';
    ev.reason = SUDO_BAD_PASSWORD_RE.test(first)
      ? 'bad_password'
      : SUDO_POLICY_RE.test(first)
        ? 'policy_blocked'
        : 'other';
    ev.reasonDetail = first;
  }
}

const SU_FAILED_RE = /^FAILED (?:SU|RUNUSER) \(to (\S+)\) (\S+) on (\S+)$/;
const SU_OK_RE = /^\(to (\S+)\) (\S+) on (\S+)$/;
const SU_SUCCESSFUL_RE = /^Successful su for (\S+) by (\S+)$/;
const SU_SULOG_RE = /^([+-]) (\S+) ([^\s:]+):(\S+)$/;

function su(ev: Ev, msg: string): void {
  let m: RegExpExecArray | null;
  let ok: boolean;
  if ((m = SU_FAILED_RE.exec(msg)) !== null) {
    ok = false;
    ev.targetUser = m[1]!;
    ev.user = m[2]!;
  } else if ((m = SU_OK_RE.exec(msg)) !== null) {
    ok = true;
    ev.targetUser = m[1]!;
    ev.user = m[2]!;
  } else if ((m = SU_SUCCESSFUL_RE.exec(msg)) !== null) {
    ok = true;
    ev.targetUser = m[1]!;
    ev.user = m[2]!;
  } else if ((m = SU_SULOG_RE.exec(msg)) !== null) {
    ok = m[1] === '+';
    ev.user = m[3]!;
    ev.targetUser = m[4]!;
  } else return;
  ev.class = 'privilege_use';
  ev.activity = 'su';
  ev.app = 'su';
  ev.outcome = ok ? 'success' : 'failure';
  ev.reason = ok ? null : 'other';
}

// ---------------------------------------------------------------------------------------------

function classify(
  ev: Ev,
  program: string | null,
  pamModule: string | null,
  msg: string,
  depth: number,
): void {
  if (depth === 0 && msg.charCodeAt(0) === 109 /* m */) {
    const r = unwrapRepeated(msg);
    if (r !== null) return classify(ev, program, pamModule, r.msg, 1);
  }
  if (program === null) return;
  if (pamModule !== null) return pamLine(ev, program, msg);
  if (msg.charCodeAt(0) === 112 /* p */ && msg.startsWith('pam_')) {
    const m = PAM_PREFIX_RE.exec(msg);
    if (m !== null) return pamLine(ev, m[2]!, msg.slice(m[0].length));
  }
  switch (program) {
    case 'sshd':
    case 'sshd-session': // OpenSSH 9.8+
    case 'sshd-auth': // OpenSSH 10+
      return sshd(ev, msg);
    case 'sudo':
      return sudo(ev, msg);
    case 'su':
      return su(ev, msg);
  }
}

export const linuxSyslogParser: Parser<string> = {
  kind: 'linux_syslog',
  input: 'line',
  parse(record: string, ctx: ParseContext): ParseResult {
    if (typeof record !== 'string') return { ok: false, error: 'record is not a text line' };
    const r = parseSyslog(record, ctx);
    if (!r.ok) return r;
    const sm = r.message;
    const tag = sm.app;
    let program = tag;
    let pamModule: string | null = null;
    if (tag !== null && tag.charCodeAt(tag.length - 1) === 41 /* ) */) {
      // `sshd(pam_unix)`: the service's process, logging through a PAM module.
      const k = tag.indexOf('(');
      if (k > 0) {
        program = tag.slice(0, k);
        const mod = tag.slice(k + 1, -1);
        if (mod.startsWith('pam_')) pamModule = mod;
      }
    }
    const ev: Ev = {
      time: sm.time,
      class: 'other',
      activity: 'syslog_message',
      outcome: 'unknown',
      reason: null,
      reasonDetail: null,
      user: null,
      userDomain: null,
      targetUser: null,
      group: null,
      srcIp: null,
      srcPort: null,
      geo: null,
      dstHost: sm.host,
      app: null,
      authProtocol: null,
      mfaUsed: null,
      processName: program,
      commandLine: null,
      vendorEventId: tag,
    };
    classify(ev, program, pamModule, sm.msg, 0);
    return { ok: true, event: ev };
  },
};

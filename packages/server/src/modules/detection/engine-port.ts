import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detection, EngineEvent, TenantContext } from './engine/types.ts';
import * as engine from './engine/index.ts';
import type { EventRow } from '../telemetry/event-row.ts';

/**
 * The detection engine as this module uses it (contract in engine/types.ts; implementation in
 * engine/): rules compile from Sigma YAML (refused with reasons), an engine processes a tenant's
 * events and its per-tenant state can be exported and imported.
 */
export interface CompileError {
  message: string;
  ruleId?: string | undefined;
  [k: string]: unknown;
}
export interface CompiledRules {
  rules: unknown[];
  errors: (CompileError | string)[];
}
export interface DetectionEngine {
  process(orgId: string, events: EngineEvent[], ctx: TenantContext): Detection[];
  exportState(orgId: string): unknown;
  importState(orgId: string, json: unknown): void;
}
export interface EngineModule {
  compileRules(yamlText: string, opts: { origin: string }): CompiledRules;
  createEngine(rules: unknown[]): DetectionEngine;
}

export const ENGINE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'engine');
export const BUILTIN_RULES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rules');

/** The engine implementation (engine/index.ts), as this module uses it. */
export function loadEngine(): EngineModule {
  return engine as unknown as EngineModule;
}

export const errorText = (e: CompileError | string): string =>
  typeof e === 'string' ? e : e.ruleId ? `${e.ruleId}: ${e.message}` : e.message;

/**
 * An RFC 3164 line (optional PRI, classic or RFC 3339 timestamp, host, tag) whose message starts
 * with syslog's duplicate-suppression text. Anchored on the header: the same words inside a
 * message (an attacker's user name, say) do not count.
 */
const REPEATED_RE =
  /^(?:<\d{1,3}>)?(?:[A-Za-z]{3} {1,2}\d{1,2} (?:\d{4} )?\d\d:\d\d:\d\d(?:\.\d{1,6})?|\d{4}-\d\d-\d\dT\S+) +\S+ [^\s:[\]]{1,64}(?:\[\d{1,10}\])?: message repeated (\d{1,9}) times: \[/;

/**
 * How many occurrences a stored record stands for: N for a syslog line whose message is
 * `message repeated N times: [ ... ]` (duplicate suppression: the line stands for N more of the
 * message before it, which the parsers read as the inner message once), else 1.
 */
export function occurrencesOf(raw: string): number {
  if (raw.charCodeAt(0) === 123 /* { */ || raw.indexOf('message repeated ') === -1) return 1;
  const m = REPEATED_RE.exec(raw);
  return m === null ? 1 : Math.max(1, Number(m[1]));
}

/** A stored event as the engine sees it. */
export function toEngineEvent(
  orgId: string,
  sourceId: string,
  batchId: string,
  batchPos: number,
  r: EventRow,
): EngineEvent {
  return {
    orgId,
    sourceId,
    batchId,
    batchPos,
    time: r.time,
    class: r.class,
    activity: r.activity,
    outcome: r.outcome,
    reason: r.reason,
    user: r.user,
    userDomain: r.userDomain,
    targetUser: r.targetUser,
    group: r.group,
    srcIp: r.srcIp,
    geo: r.geo,
    dstHost: r.dstHost,
    app: r.app,
    authProtocol: r.authProtocol,
    mfaUsed: r.mfaUsed,
    processName: r.processName,
    commandLine: r.commandLine,
    vendorEventId: r.vendorEventId,
    isMsp: r.isMsp,
    dstIp: r.dstIp ?? null,
    dstPort: r.dstPort ?? null,
    protocol: r.protocol ?? null,
    action: r.action ?? null,
    signature: r.signature ?? null,
    signatureId: r.signatureId ?? null,
    severity: r.severity ?? null,
    occurrences: occurrencesOf(r.raw),
  };
}

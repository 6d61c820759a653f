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
  };
}

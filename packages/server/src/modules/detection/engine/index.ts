/** The detection engine: Sigma rules and correlations compiled to predicates, evaluated per tenant. */
export type { Detection, EngineEvent, EvidenceRef, Level, TenantContext } from './types.ts';
export type {
  CompileError,
  CompiledRule,
  CorrelationRule,
  CountCondition,
  RuleOverride,
  RuleOverrides,
  SimpleRule,
} from './rule.types.ts';
export { formatCompileError } from './rule.types.ts';
export { compileRules, type RuleSource } from './compile.ts';
export { applyOverrides } from './validate.ts';
export { createEngine, compareEvents, type Engine, type EngineOptions } from './evaluator.ts';
export { runHistory, collapseDetections } from './history.ts';
export { StateError, DEFAULT_MAX_GROUPS, MAX_EVIDENCE } from './state.ts';
export { FIELD_NAMES } from './fields.ts';
export { REMOTE_TOOLS } from './remote-tools.ts';
export { builtinRuleSources, compileBuiltinRules } from './builtin.ts';

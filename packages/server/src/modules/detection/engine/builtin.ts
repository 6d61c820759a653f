import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRules, type RuleSource } from './compile.ts';
import { formatCompileError, type CompiledRule } from './rule.types.ts';

const RULES_DIR = fileURLToPath(new URL('../rules/', import.meta.url));

/** The built-in rule files (rules/*.yml), in name order. */
export function builtinRuleSources(): RuleSource[] {
  return fs
    .readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => ({ origin: `rules/${f}`, text: fs.readFileSync(path.join(RULES_DIR, f), 'utf8') }));
}

/** The built-in rules, compiled; a problem in them is a defect of the release and throws. */
export function compileBuiltinRules(): CompiledRule[] {
  const { rules, errors } = compileRules(builtinRuleSources());
  if (errors.length > 0)
    throw new Error(`built-in detection rules: ${errors.map(formatCompileError).join('; ')}`);
  return rules;
}

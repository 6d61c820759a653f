import type { SourceKind } from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import type { Parser } from './parser.types.ts';
import { linuxSyslogParser } from './linux-syslog.parser.ts';
import { windowsSecurityParser } from './windows-security.parser.ts';
import { cefParser } from './cef.parser.ts';
import { entraSigninParser } from './entra-signin.parser.ts';
import { oktaParser } from './okta.parser.ts';
import { suricataEveParser } from './suricata-eve.parser.ts';
import { netfilterParser } from './netfilter.parser.ts';
import { filterlogParser } from './filterlog.parser.ts';
import { mdeAlertsParser } from './mde-alerts.parser.ts';
import {
  createGenericJsonParser,
  validateGenericJsonMapping,
  type GenericJsonMapping,
} from './generic-json.parser.ts';

const FIXED: Record<Exclude<SourceKind, 'generic_json'>, Parser> = {
  linux_syslog: linuxSyslogParser as Parser,
  windows_security: windowsSecurityParser,
  cef: cefParser as Parser,
  entra_signin: entraSigninParser,
  okta_system_log: oktaParser,
  suricata_eve: suricataEveParser,
  netfilter: netfilterParser as Parser,
  filterlog: filterlogParser as Parser,
  mde_alerts: mdeAlertsParser,
};

/** Generic JSON parsers are built from a source's mapping; built once per mapping and kept. */
const generic = new WeakMap<object, Parser>();

export function parserFor(source: { kind: SourceKind; mapping: unknown }): Parser {
  if (source.kind !== 'generic_json') return FIXED[source.kind];
  const mapping = source.mapping as object;
  let p = generic.get(mapping);
  if (!p) generic.set(mapping, (p = createGenericJsonParser(mapping as GenericJsonMapping)));
  return p;
}

/** A generic_json source needs a valid mapping; other kinds take none. */
export function validateMapping(kind: SourceKind, mapping: unknown): void {
  if (kind !== 'generic_json') {
    if (mapping !== undefined)
      throw new AppError('validation_failed', `a ${kind} source takes no field mapping`);
    return;
  }
  if (mapping === undefined)
    throw new AppError('validation_failed', 'a generic_json source needs a field mapping');
  const r = validateGenericJsonMapping(mapping);
  if (!r.ok) throw new AppError('validation_failed', r.error, { problems: r.issues });
}

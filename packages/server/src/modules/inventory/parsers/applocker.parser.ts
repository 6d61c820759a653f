import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  APP_CONTROL_COLLECTIONS,
  APP_CONTROL_MODES,
  AppControlItem,
  type AppControlRule,
} from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import type { Upload } from '../upload.ts';
import { RowError } from '../values.ts';
import { Collector, type Parsed } from './parser.types.ts';

/**
 * An AppLocker policy export: the XML `Get-AppLockerPolicy -Xml` (local, effective or domain) and
 * the Group Policy editor's "Export Policy" write:
 *
 *   <AppLockerPolicy Version="1">
 *     <RuleCollection Type="Exe" EnforcementMode="Enabled">
 *       <FilePathRule Id Name Description UserOrGroupSid Action="Allow|Deny"><Conditions>
 *         <FilePathCondition Path="%PROGRAMFILES%\*"/></Conditions></FilePathRule>
 *       <FilePublisherRule ...><Conditions><FilePublisherCondition PublisherName ProductName
 *         BinaryName>…</FilePublisherCondition></Conditions></FilePublisherRule>
 *       <FileHashRule ...><Conditions><FileHashCondition><FileHash Type Data SourceFileName/>
 *         </FileHashCondition></Conditions></FileHashRule>
 *     </RuleCollection>
 *     …
 *   </AppLockerPolicy>
 *
 * One item per rule collection (Exe, Msi, Script, Dll, Appx) with its enforcement mode (Enabled,
 * AuditOnly, NotConfigured; a collection without the attribute, or absent from the file, enforces
 * nothing and is recorded NotConfigured) and its rules. A collection or rule that cannot be read is
 * rejected with its position ("line" n = the n-th rule collection) and reason; the file must be
 * well-formed XML with an AppLockerPolicy root, or it is refused whole. UTF-16 exports (Windows
 * PowerShell's default) are read as such.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const RULE_TYPES = ['FilePathRule', 'FilePublisherRule', 'FileHashRule'] as const;
const MAX_RULES = 2000;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Entities stay as written: no DTD, no expansion (the file comes from outside).
  processEntities: true,
  htmlEntities: false,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

async function readBytes(upload: Upload): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of upload.chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** UTF-16 LE / BE (with a byte-order mark) or UTF-8 (with or without one). */
export function decodeXml(b: Buffer): string {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return b.toString('utf8').replace(/^\uFEFF/, '');
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** What a rule matches, in words: its paths, publisher/product/binary, or hashed file names. */
function matchesOf(type: string, rule: Obj): string[] {
  const cond = isObj(rule.Conditions) ? rule.Conditions : {};
  const out: string[] = [];
  if (type === 'FilePathRule')
    for (const c of asList(cond.FilePathCondition))
      if (isObj(c) && text(c['@Path'])) out.push(text(c['@Path'])!);
  if (type === 'FilePublisherRule')
    for (const c of asList(cond.FilePublisherCondition)) {
      if (!isObj(c)) continue;
      const parts = [text(c['@PublisherName']), text(c['@ProductName']), text(c['@BinaryName'])];
      out.push(parts.map((p) => p ?? '*').join('\\'));
    }
  if (type === 'FileHashRule')
    for (const c of asList(cond.FileHashCondition))
      for (const h of isObj(c) ? asList(c.FileHash) : [])
        if (isObj(h)) out.push(text(h['@SourceFileName']) ?? text(h['@Data']) ?? '(hash)');
  return out.slice(0, 200);
}

function ruleOf(type: string, r: unknown, where: string): AppControlRule {
  if (!isObj(r)) throw new RowError(`${where}: a ${type} without attributes`);
  const action = text(r['@Action']);
  if (action !== 'Allow' && action !== 'Deny')
    throw new RowError(`${where}: Action must be Allow or Deny, not ${JSON.stringify(action ?? '')}`);
  const matches = matchesOf(type, r);
  if (matches.length === 0) throw new RowError(`${where}: the rule has no condition`);
  return {
    id: text(r['@Id']),
    name: (text(r['@Name']) ?? '').slice(0, 1000),
    action,
    type,
    userOrGroupSid: text(r['@UserOrGroupSid']),
    matches: matches.map((m) => m.slice(0, 1000)),
  };
}

export async function parseAppLocker(upload: Upload): Promise<Parsed> {
  const xml = decodeXml(await readBytes(upload));
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new AppError(
      'bad_request',
      `the file is not well-formed XML: line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`,
    );
  if (/<!DOCTYPE/i.test(xml))
    throw new AppError('bad_request', 'an AppLocker policy has no DOCTYPE; refusing the file');
  const doc = parser.parse(xml) as Obj;
  const root = doc.AppLockerPolicy;
  if (!isObj(root) && root !== '')
    throw new AppError(
      'bad_request',
      'this is not an AppLocker policy: the root element must be <AppLockerPolicy> (Get-AppLockerPolicy -Xml)',
    );
  const c = new Collector<unknown>(AppControlItem);
  const seen = new Set<string>();
  let fromFile = 0;
  const collections = isObj(root) ? asList(root.RuleCollection) : [];
  collections.forEach((rc, i) => {
    const line = i + 1;
    c.add(line, () => {
      if (!isObj(rc)) throw new RowError('a RuleCollection without attributes');
      const type = text(rc['@Type']);
      const collection = APP_CONTROL_COLLECTIONS.find((t) => t.toLowerCase() === type?.toLowerCase());
      if (!collection)
        throw new RowError(
          `RuleCollection Type ${JSON.stringify(type ?? '')} is not one of ${APP_CONTROL_COLLECTIONS.join(', ')}`,
        );
      const modeText = text(rc['@EnforcementMode']) ?? 'NotConfigured';
      const mode = APP_CONTROL_MODES.find((m) => m.toLowerCase() === modeText.toLowerCase());
      if (!mode)
        throw new RowError(
          `${collection}: EnforcementMode ${JSON.stringify(modeText)} is not one of ${APP_CONTROL_MODES.join(', ')}`,
        );
      const rules: AppControlRule[] = [];
      for (const t of RULE_TYPES)
        asList(rc[t]).forEach((r, k) => rules.push(ruleOf(t, r, `${collection} ${t} ${k + 1}`)));
      seen.add(collection);
      fromFile++;
      return {
        key: collection.toLowerCase(),
        data: {
          collection,
          enforcementMode: mode,
          allowRules: rules.filter((r) => r.action === 'Allow').length,
          denyRules: rules.filter((r) => r.action === 'Deny').length,
          rules: rules.slice(0, MAX_RULES),
        },
      };
    });
  });
  // A collection the file does not mention enforces nothing: record it so, as Windows applies it.
  for (const collection of APP_CONTROL_COLLECTIONS)
    if (
      !seen.has(collection) &&
      !collections.some((rc) => isObj(rc) && text(rc['@Type'])?.toLowerCase() === collection.toLowerCase())
    )
      c.add(collections.length + 1, () => ({
        key: collection.toLowerCase(),
        data: { collection, enforcementMode: 'NotConfigured', allowRules: 0, denyRules: 0, rules: [] },
      }));
  // Accepted counts the file's collections only: a file whose every collection is rejected is refused.
  return { ...c.result('applocker'), accepted: fromFile };
}

import { ScubaControlItem, SCUBA_RESULTS } from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import { readJson, type Upload } from '../upload.ts';
import { optText, RowError } from '../values.ts';
import { Collector, type Parsed } from './parser.types.ts';

/**
 * CISA ScubaGear's results file (ScubaResults*.json): `Results` holds, per product abbreviation
 * (AAD, Defender, EXO, PowerPlatform, SharePoint, Teams), the baseline's policy groups, each with
 * `Controls` entries of "Control ID", "Requirement", "Result", "Criticality" and "Details". Each
 * control is stored under its policy id; the line of a rejection is the control's position in the
 * file (counting from 1 across all products).
 */

/**
 * Which Accord catalog controls a ScubaGear policy gives evidence for (docs/imports.md has the
 * same table). Policies not listed are stored and shown, but feed no Accord control.
 */
export const SCUBA_TO_ACCORD: Record<string, string[]> = {
  'MS.AAD.1.1v1': ['MFA-03'], // legacy authentication blocked
  'MS.AAD.2.1v1': ['PIC-04'], // users detected as high risk blocked
  'MS.AAD.2.3v1': ['PIC-04'], // sign-ins detected as high risk blocked
  'MS.AAD.3.1v1': ['MFA-04', 'MFA-03'], // phishing-resistant MFA enforced for all users
  'MS.AAD.3.2v1': ['MFA-03'], // an alternative MFA method enforced where phishing-resistant is not
  'MS.AAD.3.3v1': ['MFA-05'], // Authenticator shows login context (MFA fatigue)
  'MS.AAD.3.5v1': ['MFA-04'], // SMS, voice and e-mail one-time codes disabled
  'MS.AAD.3.6v1': ['MFA-04', 'MFA-01'], // phishing-resistant MFA for highly privileged roles
  'MS.AAD.3.8v1': ['MFA-05'], // MFA registration only from managed devices
  'MS.AAD.5.1v1': ['PRV-01'], // only administrators register applications
  'MS.AAD.7.1v1': ['PRV-03'], // between two and eight Global Administrators
  'MS.AAD.7.2v1': ['PRV-01'], // fine-grained roles instead of Global Administrator
  'MS.AAD.7.3v1': ['PRV-02'], // privileged users are cloud-only accounts
  'MS.AAD.7.4v1': ['PRV-03'], // no permanent active privileged role assignments
  'MS.AAD.7.5v1': ['PRV-03'], // privileged roles assigned only through the PAM system
  'MS.AAD.7.6v1': ['PRV-03'], // Global Administrator activation needs approval
  'MS.AAD.7.7v1': ['PRV-04'], // alerts on privileged role assignments
  'MS.AAD.7.8v1': ['PRV-04'], // alerts on Global Administrator activation
  'MS.EXO.2.2v2': ['PIC-05'], // SPF
  'MS.EXO.3.1v1': ['PIC-05'], // DKIM
  'MS.EXO.4.1v1': ['PIC-05'], // DMARC published
  'MS.EXO.4.2v1': ['PIC-05'], // DMARC reject policy
  'MS.EXO.17.1v1': ['LOG-02'], // unified audit logging enabled
  'MS.EXO.17.3v1': ['LOG-01'], // audit logs kept as OMB M-21-31 requires
};

const RESULT_WORDS = new Map<string, (typeof SCUBA_RESULTS)[number]>(
  SCUBA_RESULTS.map((r) => [r.toLowerCase(), r]),
);
RESULT_WORDS.set('na', 'N/A');
RESULT_WORDS.set('n/a', 'N/A');

export async function parseScuba(upload: Upload): Promise<Parsed> {
  const doc = await readJson(upload);
  const results = (doc as { Results?: unknown } | null)?.Results;
  if (!results || typeof results !== 'object' || Array.isArray(results))
    throw new AppError(
      'bad_request',
      'this is not a ScubaGear results file: it has no "Results" object of products (ScubaResults*.json)',
    );
  const c = new Collector<unknown>(ScubaControlItem);
  let line = 0;
  for (const [product, groups] of Object.entries(results as Record<string, unknown>)) {
    if (!Array.isArray(groups)) {
      c.reject(++line, `Results.${product} is not a list of policy groups`);
      continue;
    }
    for (const g of groups as Record<string, unknown>[]) {
      const controls = Array.isArray(g?.Controls) ? (g.Controls as Record<string, unknown>[]) : null;
      if (!controls) {
        c.reject(++line, `a policy group of ${product} has no Controls list`);
        continue;
      }
      for (const ctl of controls) {
        c.add(++line, () => {
          const id = optText(ctl?.['Control ID']);
          if (!id) throw new RowError('the control has no "Control ID"');
          const word = optText(ctl['Result'])?.toLowerCase() ?? '';
          const result = RESULT_WORDS.get(word);
          if (!result)
            throw new RowError(
              `${id}: Result must be ${SCUBA_RESULTS.join(', ')}, not ${JSON.stringify(ctl['Result'])}`,
            );
          return {
            key: id.toLowerCase(),
            data: {
              controlId: id,
              product,
              groupName: optText(g.GroupName),
              requirement: optText(ctl['Requirement']),
              result,
              criticality: optText(ctl['Criticality']),
              details: optText(ctl['Details']),
              accordControls: SCUBA_TO_ACCORD[id] ?? [],
            },
          };
        });
      }
    }
  }
  return c.result('scubagear');
}

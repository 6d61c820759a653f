import type { PlanContent, PlanKind } from '@accord/contracts';
import type { AgreedHours } from './deadlines.ts';

/**
 * The first draft of a new plan: a severity scale, the notification duties the organisation's
 * agreements set, and (for an incident response plan) the five standard playbooks, so the parties
 * start from the advisory's scenarios and fill in the people. Roles and the contact tree start
 * empty: a template cannot know who they are, and a draft without them cannot be approved.
 */

const SEVERITY_SCALE: PlanContent['severityScale'] = [
  {
    level: 'critical',
    description:
      'Confirmed compromise of privileged access (MSP or admin accounts), ransomware, or data exfiltration; business operations stopped or at risk.',
  },
  {
    level: 'high',
    description:
      'Likely compromise of an account or system, an unapproved remote-access tool, or a security control disabled; contained to a few systems.',
  },
  {
    level: 'medium',
    description:
      'Suspicious activity needing investigation (a password spray, repeated MFA denials) with no sign of success.',
  },
  { level: 'low', description: 'A policy deviation or weakness with no sign of attack.' },
];

const PLAYBOOKS: PlanContent['playbooks'] = [
  {
    incidentType: 'compromised_msp_account',
    title: 'Compromised MSP account',
    steps: [
      {
        text: 'Disable the MSP account and revoke its sessions and tokens in every customer tenant it reaches.',
        role: 'msp_contact',
      },
      { text: 'Notify the customer through the agreed channel within the agreed time.', role: 'msp_contact' },
      {
        text: "Review the account's sign-ins and actions in Accord (MSP-account activity) since the first suspicious event.",
        role: 'technical_lead',
      },
      {
        text: 'Check other customers of the MSP for the same account or source addresses.',
        role: 'msp_contact',
      },
      {
        text: 'Reset credentials and re-enrol MFA out of band before re-enabling access.',
        role: 'technical_lead',
      },
    ],
  },
  {
    incidentType: 'ransomware',
    title: 'Ransomware',
    steps: [
      {
        text: 'Isolate affected hosts from the network; do not power them off (keep memory evidence).',
        role: 'technical_lead',
      },
      {
        text: 'Disable remote-access and RMM paths into the affected network until they are verified clean.',
        role: 'msp_contact',
      },
      { text: 'Confirm offline or immutable backups are intact before any restore.', role: 'technical_lead' },
      {
        text: 'Brief the executive sponsor; decide on external notification (authority, insurer, regulator).',
        role: 'executive_sponsor',
      },
      {
        text: 'Restore in the order of the recovery plan (RTO per critical system) and verify each system.',
        role: 'technical_lead',
      },
    ],
  },
  {
    incidentType: 'password_spraying',
    title: 'Password spraying or account takeover',
    steps: [
      {
        text: 'Block the source addresses and confirm the detection covers every sign-in source.',
        role: 'technical_lead',
      },
      {
        text: 'Find accounts with a success after the failures; reset them and revoke their sessions.',
        role: 'technical_lead',
      },
      {
        text: 'Check that the accounts taken over had MFA enforced; enforce it where not.',
        role: 'technical_lead',
      },
      {
        text: 'Review mailbox rules, MFA methods and group changes of the accounts taken over.',
        role: 'incident_lead',
      },
    ],
  },
  {
    incidentType: 'rogue_remote_access_tool',
    title: 'Unapproved remote-access tool',
    steps: [
      {
        text: 'Identify the host, the tool and who installed it (inventory and process events).',
        role: 'technical_lead',
      },
      {
        text: 'Ask the MSP whether the tool is theirs; an unapproved tool is treated as a compromise.',
        role: 'msp_contact',
      },
      {
        text: 'Remove the tool, block its network destinations and look for it on other hosts.',
        role: 'technical_lead',
      },
      {
        text: 'Review the sessions the tool carried and the accounts used through it.',
        role: 'incident_lead',
      },
    ],
  },
  {
    incidentType: 'data_exfiltration',
    title: 'Data exfiltration',
    steps: [
      {
        text: 'Stop the transfer: block the destination and disable the accounts or keys used.',
        role: 'technical_lead',
      },
      { text: 'Establish which data left, whose it is and under which obligations.', role: 'legal' },
      {
        text: 'Decide on notifications to regulators, data subjects and partners within their deadlines.',
        role: 'legal',
      },
      { text: 'Prepare internal and external communications.', role: 'communications' },
      { text: 'Procurement reviews the contracts of any supplier involved.', role: 'procurement_officer' },
    ],
  },
];

export function planTemplate(
  kind: PlanKind,
  agreed: AgreedHours[],
  exerciseDays: number | null,
): PlanContent {
  const duties: PlanContent['notificationDuties'] = agreed.map((a) => ({
    recipient: 'customer',
    withinHours: a.hours,
    minSeverity: 'low',
    description: `The MSP notifies the customer (agreement ${a.agreementId}, ${a.controlId} incident_notification_hours).`,
  }));
  duties.push({
    recipient: 'authority',
    withinHours: 72,
    minSeverity: 'high',
    description:
      'Report to the national authority (CISA and FBI, NCSC-UK, ASD ACSC, CCCS, NCSC-NZ) and any regulator whose rules apply.',
  });
  return {
    title: kind === 'incident_response' ? 'Incident response plan' : 'Recovery plan',
    scope:
      kind === 'incident_response'
        ? 'Security incidents affecting the organisation, including those on the MSP infrastructure and accounts that reach it.'
        : 'Restoring the critical systems of the organisation after an incident, in order of their recovery objectives.',
    severityScale: SEVERITY_SCALE,
    roles: [],
    contactTree: [],
    externalContacts: [],
    notificationDuties: duties,
    recoveryObjectives: [],
    playbooks: kind === 'incident_response' ? PLAYBOOKS : [],
    exerciseCadenceDays: exerciseDays ?? 365,
  };
}

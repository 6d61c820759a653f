import { PhishingItem, TrainingItem, type PhishingCampaign } from '@accord/contracts';
import { csvRows, readCsv, type Column } from '../csv.ts';
import type { Upload } from '../upload.ts';
import { keyOf, RowError, text, time } from '../values.ts';
import { Collector, type Parsed } from './parser.types.ts';

/**
 * Security-awareness evidence (docs/phishing.md): training records (user, course, completed on)
 * and phishing-simulation results (campaign, user, delivered, clicked, reported), CSV with the
 * documented columns. A training file replaces the tenant's records; a simulation file replaces
 * the campaigns it holds and keeps the others, so the rates build up over time.
 */
export const TRAINING_COLUMNS: Column[] = [
  { name: 'user', aliases: ['email', 'upn', 'account', 'username'], required: true },
  { name: 'course', aliases: ['course_name', 'training', 'module'], required: true },
  {
    name: 'completed_on',
    aliases: ['completed_at', 'completion_date', 'completed', 'date_completed'],
    required: true,
  },
];
export const PHISHING_COLUMNS: Column[] = [
  { name: 'campaign', aliases: ['campaign_name'], required: true },
  { name: 'user', aliases: ['email', 'upn', 'account', 'username'], required: true },
  { name: 'delivered', aliases: ['delivered_at'], required: true },
  { name: 'clicked', aliases: ['clicked_at'] },
  { name: 'reported', aliases: ['reported_at'] },
  { name: 'sent_on', aliases: ['sent_at', 'send_date', 'campaign_date', 'launched_at'] },
];

/** A little clock skew is fine; a completion or click days ahead is a wrong date. */
const FUTURE_SLACK_MS = 24 * 3_600_000;
function notFuture(iso: string | null, column: string, now: number): string | null {
  if (iso && Date.parse(iso) > now + FUTURE_SLACK_MS) throw new RowError(`${column} ${iso} is in the future`);
  return iso;
}

const TRUE = new Set(['yes', 'y', 'true', 't', '1']);
const FALSE = new Set(['no', 'n', 'false', 'f', '0', '']);
/** yes/no (empty is no), or an ISO 8601 time meaning yes, at that time. */
function flagOrTime(value: string, column: string): { flag: boolean; at: string | null } {
  const s = value.trim().toLowerCase();
  if (TRUE.has(s)) return { flag: true, at: null };
  if (FALSE.has(s)) return { flag: false, at: null };
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) return { flag: true, at: time(value, column) };
  throw new RowError(`${column} must be yes/no or an ISO 8601 time, not ${JSON.stringify(value)}`);
}

export async function parseTraining(upload: Upload, now = Date.now()): Promise<Parsed> {
  const c = new Collector<unknown>(TrainingItem);
  for await (const row of csvRows(readCsv(upload.chunks), TRAINING_COLUMNS, 'training'))
    c.add(row.line, () => {
      const user = text(row.get('user'), 'user');
      const course = text(row.get('course'), 'course');
      const completedOn = notFuture(time(row.get('completed_on'), 'completed_on'), 'completed_on', now);
      return { key: `${keyOf(user, course)}|${completedOn ?? ''}`, data: { user, course, completedOn } };
    });
  return c.result('csv');
}

export async function parsePhishing(
  upload: Upload,
  previous: Map<string, PhishingItem>,
  now = Date.now(),
): Promise<Parsed> {
  const c = new Collector<unknown>(PhishingItem);
  const campaigns = new Set<string>();
  for await (const row of csvRows(readCsv(upload.chunks), PHISHING_COLUMNS, 'phishing simulation'))
    c.add(row.line, () => {
      const campaign = text(row.get('campaign'), 'campaign');
      const user = text(row.get('user'), 'user');
      const delivered = flagOrTime(text(row.get('delivered'), 'delivered'), 'delivered');
      const clicked = flagOrTime(row.get('clicked'), 'clicked');
      const reported = flagOrTime(row.get('reported'), 'reported');
      const sentOn = time(row.get('sent_on'), 'sent_on');
      const sentAt = notFuture(delivered.at ?? sentOn, delivered.at ? 'delivered' : 'sent_on', now);
      if (!sentAt)
        throw new RowError('delivered is not a time and sent_on is empty: the campaign needs a date');
      for (const [what, v] of [
        ['clicked', clicked],
        ['reported', reported],
      ] as const)
        if (v.flag && !delivered.flag) throw new RowError(`${what} is yes but delivered is no`);
      campaigns.add(campaign.trim().toLowerCase());
      return {
        key: keyOf(campaign, user),
        data: {
          campaign,
          user,
          sentAt,
          delivered: delivered.flag,
          clicked: clicked.flag,
          clickedAt: notFuture(clicked.at, 'clicked', now),
          reported: reported.flag,
          reportedAt: notFuture(reported.at, 'reported', now),
        },
      };
    });
  const parsed = c.result('csv', 'merge');
  const accepted = parsed.items.size;
  // Earlier campaigns the file does not hold are kept; the ones it holds are replaced whole.
  for (const [key, item] of previous)
    if (!campaigns.has(item.campaign.trim().toLowerCase()) && !parsed.items.has(key))
      parsed.items.set(key, item);
  return { ...parsed, accepted };
}

/** Clicked and reported over delivered, per campaign, oldest first: the rates over time. */
export function campaignRates(items: PhishingItem[]): PhishingCampaign[] {
  const by = new Map<string, PhishingCampaign>();
  for (const i of items) {
    const k = i.campaign.trim().toLowerCase();
    const c = by.get(k) ?? {
      campaign: i.campaign,
      sentAt: i.sentAt,
      recipients: 0,
      delivered: 0,
      clicked: 0,
      reported: 0,
      clickRate: null,
      reportRate: null,
    };
    c.recipients++;
    if (i.sentAt < c.sentAt) c.sentAt = i.sentAt;
    if (i.delivered) c.delivered++;
    if (i.delivered && i.clicked) c.clicked++;
    if (i.delivered && i.reported) c.reported++;
    by.set(k, c);
  }
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return [...by.values()]
    .map((c) => ({
      ...c,
      clickRate: c.delivered ? round(c.clicked / c.delivered) : null,
      reportRate: c.delivered ? round(c.reported / c.delivered) : null,
    }))
    .sort((a, b) =>
      a.sentAt === b.sentAt ? a.campaign.localeCompare(b.campaign) : a.sentAt < b.sentAt ? -1 : 1,
    );
}

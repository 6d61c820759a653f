import { z } from 'zod';

/**
 * Mail domains of an organisation (customer or MSP) and their DNS checks: SPF, DMARC, DKIM for the
 * listed selectors, and MX. Each finding names the DNS record it read; a lookup that failed
 * (NXDOMAIN for the domain itself, SERVFAIL, timeout, refused) is an `error`, never a pass.
 */

/** A DNS name: letters, digits and hyphens in labels of at most 63, at least two labels. */
export const DomainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .transform((d) => d.replace(/\.$/, ''))
  .refine(
    (d) =>
      /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/.test(
        d,
      ),
    'must be a domain name such as example.com',
  );

/** A DKIM selector: one or more DNS labels (e.g. "selector1", "s1.eu"). */
export const DkimSelector = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/,
    'must be a DKIM selector such as selector1',
  )
  .max(200);

export const MailDomainCreate = z
  .object({
    domain: DomainName,
    /** The selectors the domain's mail is signed with (e.g. selector1 and selector2 for Microsoft 365). */
    dkimSelectors: z.array(DkimSelector).max(20).default([]),
  })
  .strict();
export type MailDomainCreate = z.infer<typeof MailDomainCreate>;

export const MailDomainUpdate = z.object({ dkimSelectors: z.array(DkimSelector).max(20) }).strict();

export const MAIL_CHECK_STATUSES = ['pass', 'fail', 'error'] as const;
export type MailCheckStatus = (typeof MAIL_CHECK_STATUSES)[number];

/** What each finding is about. */
export const MAIL_FINDING_KINDS = [
  'spf_record',
  'spf_all',
  'spf_lookups',
  'dmarc_record',
  'dmarc_policy',
  'dmarc_pct',
  'dmarc_rua',
  'dkim',
  'mx',
] as const;

export const MailFinding = z.object({
  check: z.enum(MAIL_FINDING_KINDS),
  status: z.enum(MAIL_CHECK_STATUSES),
  /** The record read, as type and name: "TXT _dmarc.example.com". */
  record: z.string(),
  /** What was read there: the record's text, or the DNS error (NXDOMAIN, SERVFAIL, timeout). */
  read: z.string().nullable(),
  message: z.string(),
  selector: z.string().optional(),
});
export type MailFinding = z.infer<typeof MailFinding>;

/** The parsed facts of one check, which verification re-reads against each agreement's parameters. */
export const MailFacts = z.object({
  spf: z
    .object({
      records: z.number().int(),
      record: z.string().nullable(),
      /** The qualifier of the final `all` (after any redirect), or null when there is none. */
      all: z.string().nullable(),
      lookups: z.number().int(),
      permerror: z.string().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
  dmarc: z
    .object({
      /** The name the record was found at (the domain's own, or a parent's by the tree walk). */
      at: z.string().nullable(),
      record: z.string().nullable(),
      policy: z.string().nullable(),
      pct: z.number().nullable(),
      rua: z.array(z.string()),
      error: z.string().nullable(),
    })
    .nullable(),
  dkim: z.array(
    z.object({
      selector: z.string(),
      present: z.boolean(),
      keyType: z.string().nullable(),
      bits: z.number().int().nullable(),
      error: z.string().nullable(),
    }),
  ),
  mx: z.object({ hosts: z.array(z.string()), error: z.string().nullable() }).nullable(),
});
export type MailFacts = z.infer<typeof MailFacts>;

export const MailCheck = z.object({
  id: z.string().uuid(),
  domainId: z.string().uuid(),
  domain: z.string(),
  checkedAt: z.string(),
  status: z.enum(MAIL_CHECK_STATUSES),
  /** The DNS server(s) asked. */
  resolver: z.string(),
  facts: MailFacts,
  findings: z.array(MailFinding),
});
export type MailCheck = z.infer<typeof MailCheck>;

export const MailDomain = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  domain: z.string(),
  dkimSelectors: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The newest check (null until the first one ran). */
  lastCheck: MailCheck.nullable(),
});
export type MailDomain = z.infer<typeof MailDomain>;

export const MailDomainParams = z.object({ id: z.string().uuid(), domainId: z.string().uuid() }).strict();
export const MailChecksQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(50) })
  .strict();

import { z } from 'zod';

/**
 * The control catalog schema. The catalog is a versioned data file (YAML) validated against this
 * schema at start-up; agreements copy the catalog version they were drafted from.
 */
export const OWNERS = ['msp', 'customer', 'shared'] as const;
export type Owner = (typeof OWNERS)[number];

export const VERIFICATION_MODES = ['automatic', 'attested', 'hybrid'] as const;
export type VerificationMode = (typeof VERIFICATION_MODES)[number];

export const CADENCES = [
  'continuous',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'annually',
] as const;
export type Cadence = (typeof CADENCES)[number];

export const PARAMETER_TYPES = ['integer', 'number', 'ratio', 'boolean', 'string', 'string_list'] as const;

const id = z.string().regex(/^[A-Z]{3}-\d{2}$/, 'control ids look like LOG-01');
const groupId = z.string().regex(/^[A-Z]{3}$/, 'group ids are three capital letters');
const paramName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'parameter names are snake_case');

export const CatalogParameter = z
  .object({
    name: paramName,
    type: z.enum(PARAMETER_TYPES),
    unit: z.string().optional(),
    description: z.string().min(1),
    default: z.union([z.number(), z.boolean(), z.string(), z.array(z.string())]),
    /** The weakest value an agreement may set without a recorded override (for numbers). */
    floor: z.number().optional(),
    /** For parameters where lower is stricter (hours, days to patch): the largest value allowed. */
    ceiling: z.number().optional(),
  })
  .strict();
export type CatalogParameter = z.infer<typeof CatalogParameter>;

export const CatalogTarget = z
  .object({
    metric: z.string().regex(/^[a-z][a-z0-9_]*$/),
    op: z.enum(['==', '!=', '>=', '<=', '>', '<']),
    /** A fixed value, or the name of one of the control's parameters. */
    value: z.union([z.number(), z.boolean(), z.string()]).optional(),
    param: paramName.optional(),
    note: z.string().optional(),
  })
  .strict()
  .refine((t) => (t.value === undefined) !== (t.param === undefined), {
    message: 'a target has either a fixed value or a param, not both',
  });
export type CatalogTarget = z.infer<typeof CatalogTarget>;

export const CatalogMappings = z
  .object({
    nist_csf_2: z.array(z.string()).default([]),
    cis_v8: z.array(z.string()).default([]),
    essential_eight: z.array(z.string()).default([]),
    cisa_cpg_2: z.array(z.string()).default([]),
  })
  .strict();

export const CatalogControl = z
  .object({
    id,
    group: groupId,
    title: z.string().min(1),
    objective: z.string().min(1),
    default_owner: z.enum(OWNERS),
    basis: z.enum(['explicit', 'derived']),
    advisory: z.string().min(1),
    parameters: z.array(CatalogParameter).default([]),
    targets: z.array(CatalogTarget).min(1),
    verification: z
      .object({
        mode: z.enum(VERIFICATION_MODES),
        sources: z.array(z.string()).min(1),
        logic: z.string().min(1),
      })
      .strict(),
    cadence: z.enum(CADENCES),
    notification_sla_hours: z.number().int().positive(),
    mappings: CatalogMappings,
  })
  .strict();
export type CatalogControl = z.infer<typeof CatalogControl>;

export const CatalogGroup = z
  .object({ id: groupId, title: z.string().min(1), description: z.string().min(1) })
  .strict();
export type CatalogGroup = z.infer<typeof CatalogGroup>;

export const Catalog = z
  .object({
    catalog: z
      .object({
        id: z.string().min(1),
        version: z.string().regex(/^\d+\.\d+\.\d+$/, 'catalog versions are semantic (1.2.3)'),
        title: z.string().min(1),
        published: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        source: z.string().min(1),
      })
      .strict(),
    groups: z.array(CatalogGroup).min(1),
    controls: z.array(CatalogControl).min(1),
  })
  .strict();
export type Catalog = z.infer<typeof Catalog>;

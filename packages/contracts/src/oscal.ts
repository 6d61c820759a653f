import { z } from 'zod';

/** What `POST /api/v1/oscal/import` reads out of an OSCAL document (docs/oscal.md). */
export const OscalImportResult = z.object({
  model: z.enum([
    'catalog',
    'profile',
    'component-definition',
    'system-security-plan',
    'assessment-results',
    'plan-of-action-and-milestones',
  ]),
  title: z.string(),
  version: z.string(),
  oscalVersion: z.string(),
  controls: z.array(
    z.object({ id: z.string(), title: z.string().nullable(), accordControlId: z.string().nullable() }),
  ),
  parameters: z.array(z.object({ id: z.string(), values: z.array(z.string()) })),
  /** A profile over Accord's catalog: the controls, ready for `POST /api/v1/agreements`. */
  agreementControls: z
    .array(
      z.object({
        controlId: z.string(),
        owner: z.enum(['msp', 'customer', 'shared']).optional(),
        verification: z.enum(['automatic', 'attested', 'hybrid']).optional(),
        cadence: z.string().optional(),
        notificationSlaHours: z.number().int().optional(),
        parameters: z.record(z.union([z.number(), z.boolean(), z.string(), z.array(z.string())])),
        overrides: z.array(z.object({ parameter: z.string(), justification: z.string() })),
      }),
    )
    .nullable(),
  counts: z.record(z.number().int()),
  warnings: z.array(z.string()),
});
export type OscalImportResult = z.infer<typeof OscalImportResult>;

/** One reason an OSCAL document was refused, at a JSON path such as `$.profile.imports[0].href`. */
export const OscalProblem = z.object({ path: z.string(), message: z.string() });

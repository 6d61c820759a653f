import { z } from 'zod';

/**
 * Shared field shapes of the contracts: one line of text (trimmed, no control characters, so it
 * cannot forge a log line or a CSV row), free prose, and a calendar day.
 */
export const noControlChars = (s: string) =>
  ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine(noControlChars, { message: 'must not contain control characters' });

export const LongText = (max: number) => z.string().trim().min(1).max(max);

/** A calendar day YYYY-MM-DD. */
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), {
    message: 'is not a calendar date',
  });

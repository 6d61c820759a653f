import type { NormalisedEventInput, SourceKind } from '@accord/contracts';

/**
 * A parser turns one record into one normalised event, or says precisely why it cannot.
 * Parsers are pure: no I/O, no clock except `ctx.receivedAt`, deterministic for the same input.
 * A well-formed record of a type the parser does not model is NOT an error: it becomes an event of
 * class `other` (the raw record is kept by ingest). Only malformed input is rejected.
 */
export type ParseResult = { ok: true; event: NormalisedEventInput } | { ok: false; error: string };

export interface ParseContext {
  /** When Accord received the record: the reference for timestamps without a year or zone. */
  receivedAt: Date;
  /** Time zone offset in minutes east of UTC for local timestamps without a zone (default 0). */
  utcOffsetMinutes?: number;
}

export interface Parser<R = unknown> {
  kind: SourceKind;
  /** `line` parsers take one text line; `json` parsers take one parsed JSON value. */
  input: 'line' | 'json';
  parse(record: R, ctx: ParseContext): ParseResult;
}

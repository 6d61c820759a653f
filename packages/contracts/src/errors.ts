import { z } from 'zod';

/**
 * The closed list of error codes Accord answers with. Every code maps to exactly one HTTP status;
 * clients branch on `code`, never on `message`.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  bad_request: 400,
  parameter_below_floor: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  mfa_required: 401,
  invalid_mfa_code: 401,
  session_expired: 401,
  token_expired: 401,
  token_revoked: 401,
  csrf_failed: 403,
  mfa_enrollment_required: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  digest_mismatch: 409,
  payload_too_large: 413,
  too_many_attempts: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    requestId: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { RequestContext } from '../context.ts';
import type { ResolvedSession } from '../../modules/auth/auth.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    accordCtx: RequestContext | null;
    accordSession: ResolvedSession | null;
  }
  interface FastifyInstance {
    /** How many route handlers (and auth hooks) are still running. */
    accordBusy(): number;
  }
  interface FastifyContextConfig {
    /** 'public': no credentials; 'session': any signed-in session, even before MFA; 'ingest': a
     * log source's ingest token, checked by the route itself; default: full auth. */
    auth?: 'public' | 'session' | 'ingest';
  }
}

/** The caller's context, or the reason there is none (sign in, finish MFA, enrol MFA). */
export function ctxOf(req: FastifyRequest): RequestContext {
  if (req.accordCtx) return req.accordCtx;
  const s = req.accordSession;
  if (!s) throw new AppError('unauthenticated', 'sign in or send an API token');
  if (s.view.status === 'mfa_required')
    throw new AppError('mfa_required', 'enter your authentication code to finish signing in');
  if (s.view.status === 'mfa_enrollment_required') {
    throw new AppError(
      'mfa_enrollment_required',
      'your role requires MFA: enrol an authenticator app first (POST /api/v1/auth/mfa/enroll)',
    );
  }
  throw new AppError('forbidden', 'you have no current membership in an organisation');
}

export function sessionOf(req: FastifyRequest): ResolvedSession {
  if (!req.accordSession) throw new AppError('unauthenticated', 'sign in first');
  return req.accordSession;
}

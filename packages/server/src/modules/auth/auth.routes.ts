import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ChangePasswordBody,
  IdParams,
  LoginBody,
  MfaCodeBody,
  MfaEnrollment,
  RecoveryCodes,
  SessionInfo,
  SwitchOrgBody,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { SESSION_COOKIE } from '../../platform/http/app.ts';
import { ctxOf, sessionOf } from '../../platform/http/http-context.ts';
import type { AuthService } from './auth.service.ts';
import type { UsersService } from '../users/users.service.ts';
import { AppError } from '../../platform/errors.ts';

const tags = ['auth'];

export function authRoutes(
  app: AccordApp,
  { auth, users, absoluteHours }: { auth: AuthService; users: UsersService; absoluteHours: number },
) {
  const setCookie = (req: FastifyRequest, reply: FastifyReply, token: string) =>
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: req.protocol === 'https',
      maxAge: absoluteHours * 3600,
    });
  const meta = (req: FastifyRequest) => ({
    ip: req.ip,
    requestId: String(req.id),
    userAgent: req.headers['user-agent'] ?? null,
  });

  app.post(
    '/api/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Sign in with e-mail and password (and optionally an MFA code)',
        body: LoginBody,
        response: { 200: SessionInfo },
      },
    },
    async (req, reply) => {
      const { token, view } = await auth.login(meta(req), req.body);
      setCookie(req, reply, token);
      return view;
    },
  );

  app.post(
    '/api/v1/auth/mfa/verify',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'Finish signing in with a TOTP or recovery code',
        body: MfaCodeBody,
        response: { 200: SessionInfo },
      },
    },
    async (req) => auth.verifyMfa(sessionOf(req).idHash, req.body.code, meta(req)),
  );

  app.post(
    '/api/v1/auth/mfa/enroll',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'Start TOTP enrolment: returns the secret and an otpauth:// URI',
        response: { 200: MfaEnrollment },
      },
    },
    async (req) => auth.startEnrollment(sessionOf(req).idHash),
  );

  app.post(
    '/api/v1/auth/mfa/enroll/confirm',
    {
      config: { auth: 'session' },
      schema: {
        tags,
        summary: 'Confirm enrolment with a first code; recovery codes are shown this once',
        body: MfaCodeBody,
        response: { 200: RecoveryCodes.extend({ session: SessionInfo }) },
      },
    },
    async (req) => {
      const r = await auth.confirmEnrollment(sessionOf(req).idHash, req.body.code, meta(req));
      return { recoveryCodes: r.recoveryCodes, session: r.view };
    },
  );

  app.get(
    '/api/v1/auth/session',
    {
      config: { auth: 'session' },
      schema: { tags, summary: 'The current session', response: { 200: SessionInfo } },
    },
    async (req) => auth.sessionView(sessionOf(req).idHash),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { auth: 'session' },
      schema: { tags, summary: 'Sign out', response: { 204: z.null() } },
    },
    async (req, reply) => {
      await auth.logout(sessionOf(req).idHash);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/switch-org',
    {
      schema: {
        tags,
        summary: 'Act as another organisation you belong to',
        body: SwitchOrgBody,
        response: { 200: SessionInfo },
      },
    },
    async (req) => {
      ctxOf(req);
      return auth.switchOrg(sessionOf(req).idHash, req.body.orgId);
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      schema: {
        tags,
        summary: 'Change your password (ends your other sessions)',
        body: ChangePasswordBody,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await auth.changePassword(
        ctxOf(req),
        sessionOf(req).idHash,
        req.body.currentPassword,
        req.body.newPassword,
      );
      return reply.status(204).send(null);
    },
  );

  for (const answer of ['accept', 'decline'] as const) {
    app.post(
      `/api/v1/auth/invitations/:id/${answer}`,
      {
        config: { auth: 'session' },
        schema: {
          tags,
          summary:
            answer === 'accept'
              ? 'Accept an invitation to join an organisation'
              : 'Decline an invitation to join an organisation',
          params: IdParams,
          response: { 200: SessionInfo },
        },
      },
      async (req) => {
        const s = sessionOf(req);
        if (s.view.status === 'mfa_required') {
          throw new AppError('mfa_required', 'enter your authentication code to finish signing in');
        }
        const m = meta(req);
        await users.answerInvitation(
          { userId: s.view.user.id, email: s.view.user.email, ip: m.ip, requestId: m.requestId },
          req.params.id,
          answer === 'accept',
        );
        // A user who belonged nowhere acts as the organisation they just joined.
        if (answer === 'accept' && !s.view.activeOrgId) return auth.switchOrg(s.idHash, req.params.id);
        return auth.sessionView(s.idHash);
      },
    );
  }
}

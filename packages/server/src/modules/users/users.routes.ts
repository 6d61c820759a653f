import { z } from 'zod';
import {
  AddMemberBody,
  IdParams,
  Membership,
  UserParams,
  type MemberFunction,
  type Role,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso, isoOrNull } from '../../platform/http/mappers.ts';
import type { UsersService } from './users.service.ts';
import type { MemberRow } from './users.repo.ts';

const tags = ['users'];
/** An invitation shows only the e-mail the inviter typed: the account's name and MFA state stay
 * private until its owner accepts. */
const toMember = (m: MemberRow) => ({
  userId: m.user_id,
  email: m.email,
  name: m.status === 'invited' ? m.email : m.name,
  status: m.status,
  orgId: m.org_id,
  role: m.role as Role,
  function: m.function as MemberFunction | null,
  expiresAt: isoOrNull(m.expires_at),
  mfaEnrolled: m.status === 'invited' ? null : m.totp_enabled_at !== null,
  createdAt: iso(m.created_at),
});

export function usersRoutes(app: AccordApp, { users }: { users: UsersService }) {
  app.get(
    '/api/v1/orgs/:id/members',
    {
      schema: {
        tags,
        summary: 'Members of an organisation',
        params: IdParams,
        response: { 200: z.array(Membership) },
      },
    },
    async (req) => (await users.listMembers(ctxOf(req), req.params.id)).map(toMember),
  );
  app.post(
    '/api/v1/orgs/:id/members',
    {
      schema: {
        tags,
        summary: 'Add a member (creating the user if new)',
        params: IdParams,
        body: AddMemberBody,
        response: { 201: Membership },
      },
    },
    async (req, reply) =>
      reply.status(201).send(toMember(await users.addMember(ctxOf(req), req.params.id, req.body))),
  );
  app.delete(
    '/api/v1/orgs/:id/members/:userId',
    { schema: { tags, summary: 'Remove a member', params: UserParams, response: { 204: z.null() } } },
    async (req, reply) => {
      await users.removeMember(ctxOf(req), req.params.id, req.params.userId);
      return reply.status(204).send(null);
    },
  );
}

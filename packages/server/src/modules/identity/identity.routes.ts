import { z } from 'zod';
import {
  DirectoryGroup,
  DirectoryGroupMembers,
  GroupMembersBody,
  GroupParams,
  GroupReplaced,
  IdParams,
} from '@accord/contracts';
import type { AccordApp } from '../../platform/http/app.ts';
import { ctxOf } from '../../platform/http/http-context.ts';
import { iso } from '../../platform/http/mappers.ts';
import type { GroupsService } from './groups.service.ts';

const tags = ['identity'];

export function identityRoutes(app: AccordApp, { groups }: { groups: GroupsService }) {
  app.get(
    '/api/v1/orgs/:id/groups',
    {
      schema: {
        tags,
        summary: "The tenant's directory groups with their member counts",
        params: IdParams,
        response: { 200: z.array(DirectoryGroup) },
      },
    },
    async (req) =>
      (await groups.list(ctxOf(req), req.params.id)).map((g) => ({ ...g, updatedAt: iso(g.updatedAt) })),
  );
  app.get(
    '/api/v1/orgs/:id/groups/:group/members',
    {
      schema: {
        tags,
        summary: 'The members of one directory group',
        params: GroupParams,
        response: { 200: DirectoryGroupMembers },
      },
    },
    async (req) => {
      const g = await groups.members(ctxOf(req), req.params.id, req.params.group);
      return { ...g, updatedAt: iso(g.updatedAt) };
    },
  );
  app.put(
    '/api/v1/orgs/:id/groups/:group/members',
    {
      schema: {
        tags,
        summary: 'Replace the members of one directory group (an empty list removes it)',
        params: GroupParams,
        body: GroupMembersBody,
        response: { 200: GroupReplaced },
      },
    },
    async (req) => {
      const g = await groups.replaceMembers(ctxOf(req), req.params.id, req.params.group, req.body.members);
      return { ...g, updatedAt: iso(g.updatedAt) };
    },
  );
}

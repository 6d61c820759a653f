import { z } from 'zod';

/** A directory group's name as the tenant's directory spells it (compared without case). */
export const GroupName = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .refine((s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), {
    message: 'must not contain control characters',
  });

export const GroupParams = z.object({ id: z.string().uuid(), group: GroupName });

/** The whole membership of one group: it replaces what was stored. */
export const GroupMembersBody = z
  .object({
    members: z.array(GroupName.describe('an account name: UPN, DOMAIN\\name or a bare name')).max(20_000),
  })
  .strict();

export const DirectoryGroup = z.object({
  name: z.string(),
  memberCount: z.number().int(),
  updatedAt: z.string(),
});

export const DirectoryGroupMembers = DirectoryGroup.extend({ members: z.array(z.string()) });

export const GroupReplaced = DirectoryGroupMembers.extend({
  added: z.number().int(),
  removed: z.number().int(),
});

import { AccountItem } from '@accord/contracts';
import { AppError } from '../../../platform/errors.ts';
import type { Column } from '../csv.ts';
import { readJson, type Upload } from '../upload.ts';
import { bool, keyOf, list, optText, RowError, text, time } from '../values.ts';
import { Collector, jsonArray, tabularRows, type Parsed } from './parser.types.ts';

/**
 * Account inventories (docs/imports.md):
 * - Microsoft Entra ID: Graph `GET /users` (userPrincipalName, displayName, accountEnabled,
 *   createdDateTime, signInActivity) and the `userRegistrationDetails` report (isMfaRegistered,
 *   isMfaCapable, methodsRegistered, isAdmin), joined by id or UPN. Both in one file as
 *   `{users, registrationDetails}` (each a `{value: [...]}` page or an array; optionally
 *   `directoryRoles` from `GET /directoryRoles?$expand=members`), or one at a time: a users file
 *   replaces the accounts and keeps the MFA details already known for the same account; a
 *   registration-details file merges into the stored accounts (the report omits disabled users).
 * - Okta: `GET /api/v1/users` (id, status, created, lastLogin, profile.login) as an array, or
 *   `{users, factors: {<userId>: [...]}, roles?: {<userId>: [...]}}` with each user's
 *   `GET /api/v1/users/{id}/factors` (and `/roles`) answers.
 * - Generic CSV with the documented header.
 */
type Account = AccountItem;
type Obj = Record<string, unknown>;

export interface IdentityContext {
  /** The stored accounts (for merges), keyed by lower-case account. */
  previous: Map<string, Account>;
  /** Whether an account is an MSP account by the agreement's LOG-05 rules. */
  isMspAccount: (account: string) => boolean;
}

export const IDENTITY_COLUMNS: Column[] = [
  { name: 'account', aliases: ['upn', 'user_principal_name', 'login', 'username'], required: true },
  { name: 'display_name', aliases: ['name'] },
  { name: 'enabled' },
  { name: 'mfa_registered' },
  { name: 'mfa_methods' },
  { name: 'mfa_enforced' },
  { name: 'mfa_enforced_by' },
  { name: 'privileged' },
  { name: 'privileged_roles', aliases: ['roles'] },
  { name: 'last_sign_in', aliases: ['last_login'] },
  { name: 'created' },
  { name: 'msp_owned' },
];

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const page = (v: unknown, what: string): unknown[] => jsonArray(v, ['value'], what);
const latest = (...ts: (string | null)[]) =>
  ts
    .filter((t): t is string => t !== null)
    .sort()
    .at(-1) ?? null;

const blank = (account: string, source: Account['source']): Account => ({
  account,
  displayName: null,
  enabled: null,
  mfaRegistered: null,
  mfaCapable: null,
  mfaMethods: [],
  mfaEnforced: null,
  mfaEnforcedBy: null,
  privileged: false,
  privilegedRoles: [],
  lastSignIn: null,
  created: null,
  mspOwned: false,
  mspOwnedSource: null,
  source,
  externalId: null,
});

/** MSP ownership: what the file said, else the agreement's rules. */
function withOwnership(a: Account, ctx: IdentityContext): Account {
  if (a.mspOwnedSource === 'file') return a;
  const msp = ctx.isMspAccount(a.account);
  return { ...a, mspOwned: msp, mspOwnedSource: msp ? 'agreement' : null };
}

export async function parseIdentity(
  upload: Upload,
  type: 'csv' | 'json',
  format: string | undefined,
  ctx: IdentityContext,
): Promise<Parsed<Account>> {
  if (type === 'csv' || format === 'csv') {
    if (type !== 'csv') throw new AppError('bad_request', 'format csv needs Content-Type text/csv');
    return parseCsv(upload, ctx);
  }
  const doc = await readJson(upload);
  const okta =
    format === 'okta' ||
    (format === undefined &&
      ((isObj(doc) && 'factors' in doc) ||
        (Array.isArray(doc) && isObj(doc[0]) && isObj(doc[0].profile)) ||
        (isObj(doc) && Array.isArray(doc.users) && isObj(doc.users[0]) && isObj(doc.users[0].profile))));
  if (format !== undefined && format !== 'okta' && format !== 'entra')
    throw new AppError('bad_request', `unknown identity format ${format}: use entra, okta or csv`);
  return okta ? parseOkta(doc, ctx) : parseEntra(doc, ctx);
}

async function parseCsv(upload: Upload, ctx: IdentityContext): Promise<Parsed<Account>> {
  const c = new Collector<Account>(AccountItem);
  for await (const r of tabularRows(upload, 'csv', IDENTITY_COLUMNS, 'identity', []))
    c.add(r.line, () => {
      const account = text(r.get('account'), 'account');
      const roles = list(r.get('privileged_roles'));
      const msp = bool(r.get('msp_owned'), 'msp_owned');
      const by = optText(r.get('mfa_enforced_by'))?.toLowerCase().replace('-', '_') ?? null;
      if (by !== null && by !== 'per_user' && by !== 'policy')
        throw new RowError(`mfa_enforced_by must be per_user or policy, not ${JSON.stringify(by)}`);
      const enforced = bool(r.get('mfa_enforced'), 'mfa_enforced');
      const a: Account = {
        ...blank(account, 'csv'),
        displayName: optText(r.get('display_name')),
        enabled: bool(r.get('enabled'), 'enabled'),
        mfaRegistered: bool(r.get('mfa_registered'), 'mfa_registered'),
        mfaMethods: list(r.get('mfa_methods')),
        mfaEnforced: enforced,
        mfaEnforcedBy: enforced === null ? null : (by as Account['mfaEnforcedBy']),
        privileged: bool(r.get('privileged'), 'privileged') ?? roles.length > 0,
        privilegedRoles: roles,
        lastSignIn: time(r.get('last_sign_in'), 'last_sign_in'),
        created: time(r.get('created'), 'created'),
        mspOwned: msp ?? false,
        mspOwnedSource: msp === null ? null : 'file',
      };
      return { key: keyOf(account), data: withOwnership(a, ctx) };
    });
  return c.result('csv');
}

function parseEntra(doc: unknown, ctx: IdentityContext): Parsed<Account> {
  const combined = isObj(doc) && ('users' in doc || 'registrationDetails' in doc);
  let users: unknown[] | null = null;
  let details: unknown[] | null = null;
  let roles: unknown[] = [];
  let byPolicy = false;
  if (combined) {
    if ('users' in doc) users = page(doc.users, 'Entra users');
    if ('registrationDetails' in doc) details = page(doc.registrationDetails, 'Entra registration details');
    if ('directoryRoles' in doc) roles = page(doc.directoryRoles, 'Entra directory roles');
    byPolicy = doc.mfaEnforcedByPolicy === true;
  } else {
    const items = page(doc, 'Entra ID');
    const first = items.find(isObj);
    if (first && ('isMfaRegistered' in first || 'methodsRegistered' in first)) details = items;
    else users = items;
  }
  // Registration details by user id and by UPN, for the join.
  const reg = new Map<string, Obj>();
  for (const d of details ?? [])
    if (isObj(d)) {
      if (typeof d.id === 'string') reg.set(`id:${d.id}`, d);
      if (typeof d.userPrincipalName === 'string') reg.set(`upn:${d.userPrincipalName.toLowerCase()}`, d);
    }
  const roleNames = new Map<string, string[]>();
  for (const r of roles)
    if (isObj(r) && typeof r.displayName === 'string' && Array.isArray(r.members))
      for (const m of r.members as Obj[]) {
        const k = typeof m?.id === 'string' ? `id:${m.id}` : null;
        if (k) roleNames.set(k, [...(roleNames.get(k) ?? []), r.displayName]);
      }
  const applyDetails = (a: Account, d: Obj | undefined): Account => {
    if (!d) return a;
    const isAdmin = bool(d.isAdmin, 'isAdmin');
    return {
      ...a,
      mfaRegistered: bool(d.isMfaRegistered, 'isMfaRegistered'),
      mfaCapable: bool(d.isMfaCapable, 'isMfaCapable'),
      mfaMethods: list(d.methodsRegistered),
      privileged: a.privileged || isAdmin === true,
    };
  };

  const c = new Collector<Account>(AccountItem);
  if (users) {
    users.forEach((u, i) =>
      c.add(i + 1, () => {
        if (!isObj(u)) throw new RowError('the user is not an object');
        const upn = text(u.userPrincipalName, 'userPrincipalName');
        const id = optText(u.id);
        const sign = isObj(u.signInActivity) ? u.signInActivity : {};
        const names = (id && roleNames.get(`id:${id}`)) || [];
        const state = optText(u.perUserMfaState)?.toLowerCase() ?? null;
        const enabled = bool(u.accountEnabled, 'accountEnabled');
        let a: Account = {
          ...blank(upn, 'entra'),
          externalId: id,
          displayName: optText(u.displayName),
          enabled,
          created: time(u.createdDateTime, 'createdDateTime'),
          lastSignIn: latest(
            time(sign.lastSignInDateTime, 'signInActivity.lastSignInDateTime'),
            time(sign.lastNonInteractiveSignInDateTime, 'signInActivity.lastNonInteractiveSignInDateTime'),
            time(sign.lastSuccessfulSignInDateTime, 'signInActivity.lastSuccessfulSignInDateTime'),
          ),
          privileged: names.length > 0,
          privilegedRoles: names,
        };
        if (state === 'enforced' || state === 'enabled')
          a = { ...a, mfaEnforced: true, mfaEnforcedBy: 'per_user' };
        else if (byPolicy && enabled !== false) a = { ...a, mfaEnforced: true, mfaEnforcedBy: 'policy' };
        else if (state === 'disabled') a = { ...a, mfaEnforced: false, mfaEnforcedBy: null };
        const d = (id && reg.get(`id:${id}`)) || reg.get(`upn:${upn.toLowerCase()}`);
        if (d) a = applyDetails(a, d);
        else if (!details) {
          // A users file alone keeps the MFA details an earlier registration import gave.
          const was = ctx.previous.get(keyOf(upn));
          if (was && (was.externalId === id || was.externalId === null))
            a = {
              ...a,
              mfaRegistered: was.mfaRegistered,
              mfaCapable: was.mfaCapable,
              mfaMethods: was.mfaMethods,
              privileged: a.privileged || was.privileged,
            };
        }
        return { key: keyOf(upn), data: withOwnership(a, ctx) };
      }),
    );
    return c.result('entra');
  }
  // Registration details alone: merged into the stored accounts; new accounts are added from it.
  for (const [k, a] of ctx.previous) c.items.set(k, a);
  (details ?? []).forEach((d, i) => {
    const line = i + 1;
    try {
      if (!isObj(d)) throw new RowError('the record is not an object');
      const upn = text(d.userPrincipalName, 'userPrincipalName');
      const was = c.items.get(keyOf(upn));
      const base = was ?? {
        ...blank(upn, 'entra'),
        externalId: optText(d.id),
        displayName: optText(d.userDisplayName),
      };
      const r = AccountItem.safeParse(withOwnership(applyDetails(base, d), ctx));
      if (!r.success) throw new RowError(r.error.issues[0]!.message);
      c.items.set(keyOf(upn), r.data);
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      c.reject(line, e.message);
    }
  });
  return { ...c.result('entra', 'merge'), accepted: (details ?? []).length - c.rejected };
}

function parseOkta(doc: unknown, ctx: IdentityContext): Parsed<Account> {
  const users = Array.isArray(doc) ? doc : isObj(doc) ? page(doc.users, 'Okta users') : null;
  if (!users) throw new AppError('bad_request', 'the Okta file must be a users array or {users, factors}');
  const factors = isObj(doc) && isObj(doc.factors) ? doc.factors : null;
  const roles = isObj(doc) && isObj(doc.roles) ? doc.roles : null;
  const c = new Collector<Account>(AccountItem);
  users.forEach((u, i) =>
    c.add(i + 1, () => {
      if (!isObj(u) || !isObj(u.profile)) throw new RowError('the user has no profile object');
      const login = text(u.profile.login, 'profile.login');
      const id = optText(u.id);
      const status = optText(u.status)?.toUpperCase() ?? null;
      const mine = factors && id ? factors[id] : undefined;
      const active = Array.isArray(mine)
        ? (mine as Obj[]).filter((f) => isObj(f) && String(f.status).toUpperCase() === 'ACTIVE')
        : null;
      const roleList = roles && id && Array.isArray(roles[id]) ? (roles[id] as Obj[]) : [];
      const roleNames = roleList.map((r) => optText(r?.label) ?? optText(r?.type) ?? '').filter(Boolean);
      const p = u.profile;
      const name =
        optText(p.displayName) ?? (optText([p.firstName, p.lastName].filter(Boolean).join(' ')) || null);
      const a: Account = {
        ...blank(login, 'okta'),
        externalId: id,
        displayName: name,
        enabled:
          status === null ? null : ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'].includes(status),
        created: time(u.created, 'created'),
        lastSignIn: time(u.lastLogin, 'lastLogin'),
        // Without a factors list for the user the file does not say: unknown, not "no MFA".
        mfaRegistered: active ? active.length > 0 : null,
        mfaMethods: active ? [...new Set(active.map((f) => String(f.factorType)))] : [],
        privileged: roleNames.length > 0,
        privilegedRoles: roleNames,
      };
      return { key: keyOf(login), data: withOwnership(a, ctx) };
    }),
  );
  return c.result('okta');
}

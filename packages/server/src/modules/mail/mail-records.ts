import { createPublicKey } from 'node:crypto';

/**
 * Pure readers of the mail-authentication DNS records: SPF (RFC 7208), DMARC (RFC 7489) and DKIM
 * key records (RFC 6376). No DNS here; mail-dns.ts does the lookups.
 */

/** A TXT record arrives as character-strings of at most 255 bytes each; one record is their join. */
export const joinTxt = (chunks: string[]) => chunks.join('');

export const isSpf = (record: string) => /^v=spf1(\s|$)/i.test(record.trim());
export const isDmarc = (record: string) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(record.trim());

export interface SpfTerm {
  qualifier: '+' | '-' | '~' | '?';
  /** Mechanism name, lower case: all, include, a, mx, ptr, ip4, ip6, exists. */
  name: string;
  /** The domain-spec or address after the colon (cidr lengths dropped), null when absent. */
  value: string | null;
}

export interface SpfRecord {
  mechanisms: SpfTerm[];
  redirect: string | null;
  /** Terms that are neither a known mechanism nor a modifier (a permerror by RFC 7208). */
  unknown: string[];
}

const MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);

export function parseSpf(record: string): SpfRecord {
  const terms = record.trim().split(/\s+/).slice(1);
  const out: SpfRecord = { mechanisms: [], redirect: null, unknown: [] };
  for (const term of terms) {
    const mod = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (mod) {
      if (mod[1]!.toLowerCase() === 'redirect') out.redirect = mod[2]!;
      continue; // exp= and unknown modifiers are ignored (RFC 7208 6)
    }
    const m = /^([+\-~?]?)([a-z0-9]+)(?::([^/]*))?(\/.*)?$/i.exec(term);
    const name = m?.[2]?.toLowerCase();
    if (!m || !name || !MECHANISMS.has(name)) {
      out.unknown.push(term);
      continue;
    }
    out.mechanisms.push({
      qualifier: (m[1] || '+') as SpfTerm['qualifier'],
      name,
      value: m[3] ? m[3] : null,
    });
  }
  return out;
}

/** Mechanisms and modifiers that cost a DNS lookup (RFC 7208 4.6.4: at most 10 per evaluation). */
export const LOOKUP_MECHANISMS = new Set(['include', 'a', 'mx', 'ptr', 'exists']);
export const SPF_LOOKUP_LIMIT = 10;

/** `tag=value` pairs separated by semicolons (DMARC and DKIM); names lower-cased, first wins. */
export function parseTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim().toLowerCase();
    if (name && !tags.has(name)) tags.set(name, part.slice(i + 1).trim());
  }
  return tags;
}

export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];
/** none < quarantine < reject; -1 for anything else. */
export const policyRank = (p: string | null | undefined) =>
  DMARC_POLICIES.indexOf((p ?? '').toLowerCase() as DmarcPolicy);

export interface DmarcRecord {
  policy: string | null;
  subdomainPolicy: string | null;
  pct: number | null;
  rua: string[];
}

export function parseDmarc(record: string): DmarcRecord {
  const t = parseTags(record);
  const pct = t.get('pct');
  return {
    policy: t.get('p')?.toLowerCase() ?? null,
    subdomainPolicy: t.get('sp')?.toLowerCase() ?? null,
    pct: pct !== undefined && /^\d{1,3}$/.test(pct) ? Number(pct) : null,
    rua: (t.get('rua') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** The qualifiers an agreement may accept for SPF's final `all`, strictest first. */
export const SPF_QUALIFIERS = ['-', '~', '?', '+'] as const;
export const qualifierRank = (q: string | null | undefined) =>
  q ? SPF_QUALIFIERS.indexOf(q.replace(/all$/i, '') as (typeof SPF_QUALIFIERS)[number]) : -1;

export interface DkimKey {
  keyType: string;
  /** RSA modulus length; 256 for Ed25519 keys; null when the key is revoked or unreadable. */
  bits: number | null;
  revoked: boolean;
  problem: string | null;
}

/**
 * Reads a DKIM key record: k= (default rsa) and p= (base64 public key; empty means revoked). RSA
 * keys are published as SubjectPublicKeyInfo; some publishers use a bare PKCS#1 RSAPublicKey.
 */
export function parseDkimKey(record: string): DkimKey {
  const t = parseTags(record);
  const keyType = (t.get('k') ?? 'rsa').toLowerCase();
  const p = (t.get('p') ?? '').replace(/\s+/g, '');
  if (!t.has('p'))
    return { keyType, bits: null, revoked: false, problem: 'the record has no p= (public key)' };
  if (p === '') return { keyType, bits: null, revoked: true, problem: 'the key is revoked (empty p=)' };
  const der = Buffer.from(p, 'base64');
  if (keyType === 'ed25519')
    return der.length === 32
      ? { keyType, bits: 256, revoked: false, problem: null }
      : { keyType, bits: null, revoked: false, problem: `an Ed25519 key is 32 bytes, not ${der.length}` };
  if (keyType !== 'rsa')
    return { keyType, bits: null, revoked: false, problem: `unknown key type k=${keyType}` };
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      const bits = key.asymmetricKeyDetails?.modulusLength;
      if (key.asymmetricKeyType === 'rsa' && bits) return { keyType, bits, revoked: false, problem: null };
    } catch {
      /* try the other encoding */
    }
  }
  return { keyType, bits: null, revoked: false, problem: 'p= is not a readable RSA public key' };
}

export const DKIM_MIN_RSA_BITS = 2048;

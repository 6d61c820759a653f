import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/**
 * Accord's report-signing key: an Ed25519 key pair derived (HKDF-SHA256) from the instance secret
 * key, which is itself generated into the data directory on first run (or set with
 * ACCORD_SECRET_KEY). Every process sharing that secret signs with the same key, and no second
 * secret has to be kept in step. Changing the `info` label rotates the key.
 *
 * A signed document carries its signature as a final comment line (HTML `<!-- … -->`, PDF `%…`)
 * holding JSON: the SHA-256 of every byte before that line, when it was signed, the key id and the
 * public key. The signature covers `accord-report-v1\n<sha256>\n<signedAt>\n<keyId>`, so none of
 * those can be changed either. Checking against the key inside the file only proves integrity;
 * trust comes from comparing the key id with the one the Accord server publishes.
 */

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const MARKER = 'accord-signature ';

export interface SigningKey {
  keyId: string;
  /** The raw 32-byte public key, base64. */
  publicKey: string;
  privateKey: KeyObject;
}

export function deriveSigningKey(secretKey: Buffer, label = 'accord report signing v1'): SigningKey {
  const seed = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), label, 32));
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  return { keyId: keyIdOf(raw), publicKey: raw.toString('base64'), privateKey };
}

export const keyIdOf = (rawPublicKey: Buffer) =>
  createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);

export type SignedKind = 'html' | 'pdf' | 'text';

interface Trailer {
  v: 1;
  alg: 'Ed25519';
  keyId: string;
  publicKey: string;
  sha256: string;
  signedAt: string;
  signature: string;
}

const message = (t: Pick<Trailer, 'sha256' | 'signedAt' | 'keyId'>) =>
  Buffer.from(`accord-report-v1\n${t.sha256}\n${t.signedAt}\n${t.keyId}`);

/** The document with its signature line appended. */
export function signDocument(content: Buffer, kind: SignedKind, key: SigningKey, at = new Date()): Buffer {
  const base = {
    keyId: key.keyId,
    sha256: createHash('sha256').update(content).digest('hex'),
    signedAt: at.toISOString(),
  };
  const t: Trailer = {
    v: 1,
    alg: 'Ed25519',
    ...base,
    publicKey: key.publicKey,
    signature: sign(null, message(base), key.privateKey).toString('base64'),
  };
  const json = JSON.stringify(t);
  const line =
    kind === 'html'
      ? `<!-- ${MARKER}${json} -->`
      : kind === 'pdf'
        ? `%${MARKER}${json}`
        : `# ${MARKER}${json}`;
  return Buffer.concat([content, Buffer.from(`\n${line}\n`)]);
}

export type Verification =
  | { ok: true; keyId: string; publicKey: string; sha256: string; signedAt: string }
  | { ok: false; reason: string; keyId?: string };

/**
 * Checks a signed document. With `trustedPublicKey` (raw, base64) the signing key must be that key;
 * without it only the document's integrity under the key it names is shown.
 */
export function verifyDocument(doc: Buffer, trustedPublicKey?: string): Verification {
  const text = doc.toString('latin1');
  const at = text.lastIndexOf(MARKER);
  const start = at < 0 ? -1 : text.lastIndexOf('\n', at);
  if (at < 0 || start < 0) return { ok: false, reason: 'the document carries no Accord signature' };
  const end = text.indexOf('\n', at);
  let t: Trailer;
  try {
    const line = text.slice(at + MARKER.length, end < 0 ? undefined : end).replace(/\s*-->\s*$/, '');
    t = JSON.parse(line) as Trailer;
  } catch {
    return { ok: false, reason: 'the signature line is damaged' };
  }
  if (end >= 0 && text.slice(end).trim() !== '')
    return { ok: false, reason: 'bytes were added after the signature', keyId: t.keyId };
  if (t.v !== 1 || t.alg !== 'Ed25519' || typeof t.publicKey !== 'string')
    return { ok: false, reason: `unsupported signature (version ${String(t.v)}, ${String(t.alg)})` };
  const raw = Buffer.from(t.publicKey, 'base64');
  if (raw.length !== 32 || keyIdOf(raw) !== t.keyId)
    return { ok: false, reason: 'the public key in the signature does not match its key id', keyId: t.keyId };
  if (trustedPublicKey !== undefined && trustedPublicKey !== t.publicKey)
    return {
      ok: false,
      reason: `signed by key ${t.keyId}, not by the trusted key ${keyIdOf(Buffer.from(trustedPublicKey, 'base64'))}`,
      keyId: t.keyId,
    };
  const sha256 = createHash('sha256').update(doc.subarray(0, start)).digest('hex');
  if (sha256 !== t.sha256)
    return {
      ok: false,
      reason: 'the content was changed after signing (its SHA-256 differs)',
      keyId: t.keyId,
    };
  const pub = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
    format: 'der',
    type: 'spki',
  });
  if (!verify(null, message(t), pub, Buffer.from(t.signature, 'base64')))
    return { ok: false, reason: 'the signature does not verify', keyId: t.keyId };
  return { ok: true, keyId: t.keyId, publicKey: t.publicKey, sha256, signedAt: t.signedAt };
}

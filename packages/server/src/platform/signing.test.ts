import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSigningKey, signDocument, verifyDocument } from './signing.ts';

describe('report signing', () => {
  const secret = randomBytes(32);
  const key = deriveSigningKey(secret);

  it('derives the same Ed25519 key from the same instance secret, and another from another', () => {
    expect(deriveSigningKey(secret).publicKey).toBe(key.publicKey);
    expect(deriveSigningKey(randomBytes(32)).publicKey).not.toBe(key.publicKey);
    expect(Buffer.from(key.publicKey, 'base64')).toHaveLength(32);
  });

  it.each(['html', 'pdf', 'text'] as const)(
    'a signed %s verifies, and fails after any one byte changes',
    (kind) => {
      const content = Buffer.from(`<html><body>Report ${'x'.repeat(500)}</body></html>`);
      const signed = signDocument(content, kind, key, new Date('2026-11-01T00:00:00Z'));
      expect(verifyDocument(signed)).toMatchObject({
        ok: true,
        keyId: key.keyId,
        signedAt: '2026-11-01T00:00:00.000Z',
      });
      expect(verifyDocument(signed, key.publicKey).ok).toBe(true);
      for (const i of [0, 10, content.length - 1]) {
        const tampered = Buffer.from(signed);
        tampered[i] = tampered[i]! ^ 0x01;
        expect(verifyDocument(tampered)).toMatchObject({
          ok: false,
          reason: expect.stringContaining('changed'),
        });
      }
      // The signed time cannot be moved either.
      const moved = Buffer.from(
        signed.toString('latin1').replace('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'),
        'latin1',
      );
      expect(verifyDocument(moved)).toMatchObject({ ok: false, reason: 'the signature does not verify' });
    },
  );

  it('names a document signed by another key, an unsigned one and appended bytes', () => {
    const other = deriveSigningKey(randomBytes(32));
    const signed = signDocument(Buffer.from('report'), 'text', other);
    expect(verifyDocument(signed, key.publicKey)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not by the trusted key'),
    });
    expect(verifyDocument(Buffer.from('plain report'))).toEqual({
      ok: false,
      reason: 'the document carries no Accord signature',
    });
    expect(verifyDocument(Buffer.concat([signed, Buffer.from('extra')]))).toMatchObject({
      ok: false,
      reason: 'bytes were added after the signature',
    });
    // A forged trailer whose key is swapped for the attacker's own, but keeps the id, is caught.
    const forged = Buffer.from(signed.toString('latin1').replace(other.publicKey, key.publicKey), 'latin1');
    expect(verifyDocument(forged).ok).toBe(false);
  });
});

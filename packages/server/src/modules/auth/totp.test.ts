import { describe, expect, it } from 'vitest';
import {
  TOTP_PERIOD,
  base32Decode,
  base32Encode,
  matchTotp,
  newTotpSecret,
  otpauthUri,
  stepAt,
  totpCode,
} from './totp.ts';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 6238 SHA-1 test vectors (last six digits of the 8-digit values)', () => {
    expect(RFC_SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(stepAt(59_000)).toBe(1);
    expect(totpCode(RFC_SECRET, stepAt(59_000))).toBe('287082'); // 94287082
    expect(totpCode(RFC_SECRET, stepAt(1_111_111_109_000))).toBe('081804'); // 07081804
    expect(totpCode(RFC_SECRET, stepAt(1_234_567_890_000))).toBe('005924'); // 89005924
    expect(totpCode(RFC_SECRET, stepAt(20_000_000_000_000))).toBe('353130'); // 65353130
  });

  it('uses 30-second steps', () => {
    expect(TOTP_PERIOD).toBe(30);
    expect(stepAt(29_999)).toBe(0);
    expect(stepAt(30_000)).toBe(1);
  });

  it('round-trips base32 for every length and reads lower case, padding and spaces', () => {
    for (let n = 0; n <= 21; n++) {
      const buf = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255));
      expect(base32Decode(base32Encode(buf)).equals(buf)).toBe(true);
    }
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI'); // RFC 4648 vector, unpadded
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow(/invalid base32/);
  });

  it('makes random 160-bit secrets', () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(a);
  });

  it('accepts the current step and one step of drift either way, and refuses two', () => {
    const now = 1_700_000_000_000;
    const step = stepAt(now);
    for (const d of [-1, 0, 1]) {
      expect(matchTotp(RFC_SECRET, totpCode(RFC_SECRET, step + d), now)).toBe(step + d);
    }
    for (const d of [-2, 2, -10]) {
      expect(matchTotp(RFC_SECRET, totpCode(RFC_SECRET, step + d), now)).toBeNull();
    }
  });

  it('refuses codes that are not six digits or belong to another secret', () => {
    const now = 1_700_000_000_000;
    const code = totpCode(RFC_SECRET, stepAt(now));
    expect(matchTotp(RFC_SECRET, code + '0', now)).toBeNull();
    expect(matchTotp(RFC_SECRET, code.slice(1), now)).toBeNull();
    expect(matchTotp(RFC_SECRET, 'abcdef', now)).toBeNull();
    const other = base32Encode(Buffer.from('another-secret-seed!'));
    const foreign = totpCode(other, stepAt(now));
    // Fixed inputs, so no chance collision: the foreign code is none of this secret's valid codes.
    expect([-1, 0, 1].map((d) => totpCode(RFC_SECRET, stepAt(now) + d))).not.toContain(foreign);
    expect(matchTotp(RFC_SECRET, foreign, now)).toBeNull();
    expect(matchTotp(other, foreign, now)).toBe(stepAt(now));
  });

  it('builds an otpauth:// URI authenticator apps understand', () => {
    const uri = otpauthUri('JBSWY3DPEHPK3PXP', 'alice+x@example.com');
    expect(uri).toBe(
      'otpauth://totp/Accord%3Aalice%2Bx%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Accord&algorithm=SHA1&digits=6&period=30',
    );
    const u = new URL(uri);
    expect(u.protocol).toBe('otpauth:');
    expect(u.searchParams.get('secret')).toBe('JBSWY3DPEHPK3PXP');
    expect(u.searchParams.get('issuer')).toBe('Accord');
    expect(otpauthUri('JBSWY3DPEHPK3PXP', 'bob@example.com', 'My MSP')).toContain(
      'otpauth://totp/My%20MSP%3Abob%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My%20MSP&',
    );
  });
});

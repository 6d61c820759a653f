import { describe, expect, it } from 'vitest';
import { occurrencesOf } from './engine-port.ts';

describe('occurrencesOf (how many attempts a stored record stands for)', () => {
  it('reads syslog duplicate suppression, and nothing else', () => {
    const line = (msg: string) => `Dec 10 07:13:56 LabSZ sshd[24227]: ${msg}`;
    expect(
      occurrencesOf(
        line('message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]'),
      ),
    ).toBe(5);
    expect(
      occurrencesOf(
        `<38>${line('message repeated 2 times: [ Failed password for x from 1.2.3.4 port 1 ssh2]')}`,
      ),
    ).toBe(2);
    expect(occurrencesOf(line('Failed password for root from 5.36.59.76 port 42393 ssh2'))).toBe(1);
    expect(occurrencesOf(line('Invalid user message repeated 5 times: [ x from 1.2.3.4'))).toBe(1);
    expect(occurrencesOf('{"msg":"x: message repeated 5 times: [ y ]"}')).toBe(1);
    // the words inside a message (here an attacker's chosen user name) are not the header's
    expect(
      occurrencesOf(
        line('Failed password for invalid user x: message repeated 999 times: [ from 1.2.3.4 port 1 ssh2'),
      ),
    ).toBe(1);
    expect(
      occurrencesOf('2026-11-03T10:00:00.123+00:00 host sshd[7]: message repeated 3 times: [ Failed x]'),
    ).toBe(3);
  });
});

import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { dbTargets, openTestRuntime } from '../../../test/support/harness.ts';
import { createCustomer, ctxFor } from '../../../test/support/factories.ts';
import { startHttp } from '../../server.ts';

describe.each(dbTargets())('syslog listener in the server ($name)', (target) => {
  it('starts with ACCORD_SYSLOG_UDP_PORT, stores what arrives, and stops with the server', async () => {
    const rt = await openTestRuntime(target, { syslogUdpPort: 0 });
    const cust = await createCustomer(rt, null);
    const c = ctxFor(cust.admin, 'customer');
    const source = await rt.services.sources.create(c, cust.org.id, {
      kind: 'linux_syslog',
      name: 'udp',
      expectedIntervalMinutes: 5,
    });
    rt.config.syslogSourceToken = source.ingestToken;
    const http = await startHttp(rt);
    const port = http.syslog!.udpPort!;
    const msg = `<38>${new Date().toUTCString().slice(8, 11)} ${String(new Date().getUTCDate()).padStart(2, ' ')} ${new Date().toISOString().slice(11, 19)} gw sshd[7]: Failed password for root from 203.0.113.77 port 4242 ssh2`;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.send(msg, port, '127.0.0.1', () => r()));
    sock.close();
    let found = 0;
    for (let i = 0; i < 100 && found === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      found = (
        await rt.services.logs.search(c, cust.org.id, { order: 'asc', limit: 10, srcIp: '203.0.113.77' })
      ).events.length;
    }
    expect(found).toBe(1);
    await http.stop();
  });
});

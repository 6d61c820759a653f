import { promises as dns } from 'node:dns';
import { joinTxt } from './mail-records.ts';

/**
 * The resolver of the mail-domain check: Node's c-ares `Resolver`, pointed at the configured
 * servers. A lookup either answers, says the name does not exist (NXDOMAIN) or has no record of
 * the type (NODATA), or fails (SERVFAIL, timeout, refused, unreachable): the checks turn a failure
 * into an `error` finding, never a pass.
 */
export type Lookup<T> = { ok: true; value: T } | { ok: false; code: string };

export interface DnsClient {
  /** The servers asked, for the record of each check ("127.0.0.1:5353" or "system"). */
  readonly servers: string;
  txt(name: string): Promise<Lookup<string[]>>;
  mx(name: string): Promise<Lookup<{ exchange: string; priority: number }[]>>;
}

const CODES: Record<string, string> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  ETIMEOUT: 'TIMEOUT',
  EREFUSED: 'REFUSED',
  ECONNREFUSED: 'CONNREFUSED',
  EBADRESP: 'BADRESP',
  EFORMERR: 'FORMERR',
  ENOTIMP: 'NOTIMP',
};
/** Answers that say something about the name; every other code is a failure of the lookup. */
const ABSENT = new Set(['NXDOMAIN', 'NODATA']);
export const isAbsent = (code: string) => ABSENT.has(code);

export interface DnsOptions {
  /** "host", "host:port" or "[v6]:port"; empty: the system's resolvers. */
  servers: string[];
  timeoutMs: number;
  tries: number;
}

export function createDnsClient(opts: DnsOptions): DnsClient {
  const resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
  if (opts.servers.length) resolver.setServers(opts.servers);
  const wrap =
    <T>(fn: (name: string) => Promise<T>) =>
    async (name: string): Promise<Lookup<T>> => {
      try {
        return { ok: true, value: await fn(name) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'ERROR';
        return { ok: false, code: CODES[code] ?? code };
      }
    };
  return {
    servers: opts.servers.length ? opts.servers.join(', ') : 'system',
    txt: wrap(async (name) => (await resolver.resolveTxt(name)).map(joinTxt)),
    mx: wrap((name) => resolver.resolveMx(name)),
  };
}

/** A DNS outcome in words, for finding messages. */
export const describeCode = (code: string) =>
  ({
    NXDOMAIN: 'NXDOMAIN (the name does not exist)',
    NODATA: 'no record of this type',
    SERVFAIL: 'SERVFAIL (the server failed to answer)',
    TIMEOUT: 'timeout (no answer)',
    REFUSED: 'REFUSED (the server refused the query)',
    CONNREFUSED: 'connection refused',
  })[code] ?? code;

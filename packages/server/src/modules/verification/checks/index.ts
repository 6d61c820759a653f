import type { Check } from '../check.types.ts';
import { log01, log02, log03, log04 } from './logging.checks.ts';
import { net02, net04 } from './access.checks.ts';
import { aut03, mfa01, mfa03, obs01 } from './identity.checks.ts';
import { log06, net01, pic02, upd01, upd02 } from './assets.checks.ts';
import { bck01, bck02, bck03 } from './backup.checks.ts';
import { log08, pic04 } from './detection.checks.ts';
import { withScubaGear } from './scubagear.ts';
import { trn01, trn04 } from './agreement.checks.ts';
import { mfa04, prv01, prv02 } from './privilege.checks.ts';
import { aut01, aut02, log05, mfa02, mfa05 } from './msp-activity.checks.ts';
import { bck04, upd04 } from './msp-estate.checks.ts';
import { obs05, pic01, upd03 } from './exposure.checks.ts';
import { aut04, obs02 } from './people.checks.ts';
import { scr01, scr02, scr03 } from './supply-chain.checks.ts';
import { pic05, pic06 } from './phishing.checks.ts';
import { log07 } from './network-endpoint.checks.ts';
import { irp01, irp02 } from './irp.checks.ts';
import { irp03, log09 } from './incident.checks.ts';

/** Every check Accord runs, by control id. A control without one is verified by attestation only. */
export const CHECKS: ReadonlyMap<string, Check> = new Map(
  [
    log01,
    log02,
    log03,
    log04,
    mfa01,
    net02,
    net04,
    obs01,
    aut03,
    mfa03,
    log06,
    pic02,
    upd01,
    upd02,
    net01,
    bck01,
    bck02,
    bck03,
    log08,
    pic04,
    trn01,
    trn04,
    mfa04,
    prv01,
    prv02,
    log05,
    mfa02,
    mfa05,
    aut01,
    aut02,
    upd04,
    bck04,
    pic01,
    upd03,
    obs05,
    obs02,
    aut04,
    scr01,
    scr02,
    scr03,
    pic05,
    pic06,
    log07,
    // incident response (records in Accord)
    irp01,
    irp02,
    irp03,
    log09,
  ].map((c) => [c.controlId, withScubaGear(c)]),
);

/**
 * Our engine over TCP against Qpid Proton's C example broker (broker.c from
 * Debian's libqpid-proton11-dev-examples, built with gcc): open, attach, bulk
 * and large transfers, outcomes and pre-settled sends (see broker-interop.ts).
 */
import { startProtonCBroker } from '../support/peers/index.js';
import { describeProtonBroker } from './broker-interop.js';

describeProtonBroker('the Proton C example broker', startProtonCBroker, { presettlesDeliveries: true });

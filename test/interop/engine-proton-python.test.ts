/**
 * Our engine over TCP against Qpid Proton's Python example broker (broker.py,
 * on Debian's python3-qpid-proton): the same scenarios as broker.c (see
 * broker-interop.ts), with unsettled deliveries to consumers.
 */
import { startProtonPythonBroker } from '../support/peers/index.js';
import { describeProtonBroker } from './broker-interop.js';

describeProtonBroker('the Proton Python example broker', startProtonPythonBroker, { presettlesDeliveries: false });

/**
 * Protocol trace field lists, generated from the standard's XML (transport.xml,
 * messaging.xml, security.xml, transactions.xml) by scripts/gen-spec.mjs.
 * DO NOT EDIT: run `npm run gen:spec`. spec.generated.spec.ts checks that this
 * file matches the XML.
 */

import type { SpecTypeName } from './spec.generated.js';

/**
 * The fields of each type for the protocol trace (describe.ts), in order, space
 * separated: `name`, then `:kind` where the trace prints it specially (`choice`:
 * a choice name, `error`, `symbol`, `map`), then `=default` when it has one.
 */
export const TRACE_FIELDS = {
  'open': 'container-id hostname max-frame-size=4294967295 channel-max=65535 idle-time-out outgoing-locales:symbol incoming-locales:symbol offered-capabilities:symbol desired-capabilities:symbol properties:map',
  'begin': 'remote-channel next-outgoing-id incoming-window outgoing-window handle-max=4294967295 offered-capabilities:symbol desired-capabilities:symbol properties:map',
  'attach': 'name handle role:choice snd-settle-mode:choice=mixed rcv-settle-mode:choice=first source target unsettled:map incomplete-unsettled=false initial-delivery-count max-message-size offered-capabilities:symbol desired-capabilities:symbol properties:map',
  'flow': 'next-incoming-id incoming-window next-outgoing-id outgoing-window handle delivery-count link-credit available drain=false echo=false properties:map',
  'transfer': 'handle delivery-id delivery-tag message-format settled more=false rcv-settle-mode:choice state resume=false aborted=false batchable=false',
  'disposition': 'role:choice first last settled=false state batchable=false',
  'detach': 'handle closed=false error:error',
  'end': 'error:error',
  'close': 'error:error',
  'error': 'condition:symbol description info:map',
  'header': 'durable=false priority=4 ttl first-acquirer=false delivery-count=0',
  'delivery-annotations': '',
  'message-annotations': '',
  'properties': 'message-id user-id to subject reply-to correlation-id content-type:symbol content-encoding:symbol absolute-expiry-time creation-time group-id group-sequence reply-to-group-id',
  'application-properties': '',
  'data': '',
  'amqp-sequence': '',
  'amqp-value': '',
  'footer': '',
  'received': 'section-number section-offset',
  'accepted': '',
  'rejected': 'error:error',
  'released': '',
  'modified': 'delivery-failed undeliverable-here message-annotations:map',
  'source': 'address durable:choice=none expiry-policy:choice=session-end timeout=0 dynamic=false dynamic-node-properties:map distribution-mode:symbol filter:map default-outcome outcomes:symbol capabilities:symbol',
  'target': 'address durable:choice=none expiry-policy:choice=session-end timeout=0 dynamic=false dynamic-node-properties:map capabilities:symbol',
  'delete-on-close': '',
  'delete-on-no-links': '',
  'delete-on-no-messages': '',
  'delete-on-no-links-or-messages': '',
  'sasl-mechanisms': 'sasl-server-mechanisms:symbol',
  'sasl-init': 'mechanism:symbol initial-response hostname',
  'sasl-challenge': 'challenge',
  'sasl-response': 'response',
  'sasl-outcome': 'code:choice additional-data',
  'coordinator': 'capabilities:symbol',
  'declare': 'global-id',
  'discharge': 'txn-id fail',
  'declared': 'txn-id',
  'transactional-state': 'txn-id outcome',
} as const satisfies Record<SpecTypeName, string>;

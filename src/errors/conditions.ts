/**
 * AMQP 1.0 error conditions (Part 2 §2.8.15–2.8.18, Part 4 §4.5.3), as the
 * symbols that travel on the wire. Branch on these, not on message text.
 */
export const Condition = {
  // amqp-error
  InternalError: 'amqp:internal-error',
  NotFound: 'amqp:not-found',
  UnauthorizedAccess: 'amqp:unauthorized-access',
  DecodeError: 'amqp:decode-error',
  ResourceLimitExceeded: 'amqp:resource-limit-exceeded',
  NotAllowed: 'amqp:not-allowed',
  InvalidField: 'amqp:invalid-field',
  NotImplemented: 'amqp:not-implemented',
  ResourceLocked: 'amqp:resource-locked',
  PreconditionFailed: 'amqp:precondition-failed',
  ResourceDeleted: 'amqp:resource-deleted',
  IllegalState: 'amqp:illegal-state',
  FrameSizeTooSmall: 'amqp:frame-size-too-small',
  // connection-error
  ConnectionForced: 'amqp:connection:forced',
  FramingError: 'amqp:connection:framing-error',
  ConnectionRedirect: 'amqp:connection:redirect',
  // session-error
  WindowViolation: 'amqp:session:window-violation',
  ErrantLink: 'amqp:session:errant-link',
  HandleInUse: 'amqp:session:handle-in-use',
  UnattachedHandle: 'amqp:session:unattached-handle',
  // link-error
  DetachForced: 'amqp:link:detach-forced',
  TransferLimitExceeded: 'amqp:link:transfer-limit-exceeded',
  MessageSizeExceeded: 'amqp:link:message-size-exceeded',
  LinkRedirect: 'amqp:link:redirect',
  Stolen: 'amqp:link:stolen',
  // transaction-error
  TransactionUnknownId: 'amqp:transaction:unknown-id',
  TransactionRollback: 'amqp:transaction:rollback',
  TransactionTimeout: 'amqp:transaction:timeout',
} as const;

/** A well-known condition; peers may send others, so fields typed with it also accept any string. */
export type KnownCondition = (typeof Condition)[keyof typeof Condition];
/** An error condition: one of `Condition`'s well-known symbols, or any other string a peer sends. */
export type ConditionSymbol = KnownCondition | (string & {});

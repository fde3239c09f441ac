export { Condition, type KnownCondition, type ConditionSymbol } from './conditions.js';
export { AmqpError, type AmqpErrorOptions, type ErrorScope } from './amqp-error.js';
export { DecodeError } from './decode-error.js';

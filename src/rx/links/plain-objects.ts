/**
 * AMQP maps as plain JavaScript objects, for applications that think in JSON:
 * a body sent as `{ name: 'a', qty: 2 }` travels as an AMQP map and decodes
 * as a `Map` (AMQP map keys may be of any type, and order and key types must
 * survive a round trip), which `JSON.stringify` prints as `{}`. The receive
 * option `plainObjects` (and this function) turns every map whose keys are
 * all strings into a plain object, inside lists and other maps too. Maps
 * with other keys (symbols, numbers) stay Maps. Browser-safe.
 */
import type { AmqpValue } from '../../codec/types.js';
import type { Message } from './message.js';

/** `value` with each string-keyed Map (at any depth, in arrays and maps) as a plain object; other values as they are. */
export function toPlainObjects(value: AmqpValue): AmqpValue {
  if (Array.isArray(value)) {
    let copy: AmqpValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as AmqpValue;
      const plain = toPlainObjects(v);
      if (plain !== v) (copy ??= value.slice())[i] = plain;
    }
    return copy ?? value;
  }
  if (!(value instanceof Map)) return value;
  let allStrings = true;
  for (const key of value.keys()) {
    if (typeof key !== 'string') {
      allStrings = false;
      break;
    }
  }
  if (!allStrings) {
    const map = new Map<AmqpValue, AmqpValue>();
    for (const [k, v] of value) map.set(k, toPlainObjects(v as AmqpValue));
    return map;
  }
  const object: Record<string, AmqpValue> = {};
  for (const [key, v] of value as Map<string, AmqpValue>) {
    // A peer's "__proto__" key is data, not the object's prototype.
    Object.defineProperty(object, key, { value: toPlainObjects(v), enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** A received message with its body through {@link toPlainObjects} (the other sections as they were). */
export function withPlainObjects(message: Message): Message {
  if (message.body === undefined) return message;
  const body = toPlainObjects(message.body);
  return body === message.body ? message : { ...message, body };
}

/**
 * What the examples share: reading `[url] [address] [count]` from the command
 * line with Proton's defaults, and printing values the way Proton's Python
 * examples print them (`{'sequence': 1}`, `Message(id=1, body='…')`), so the
 * output of a port matches the output of its original line for line.
 */
import type { AmqpValue, ConnectionStatus, Message } from 'rx-amqp';
import type { Observer } from 'rxjs';

export const DEFAULT_URL = 'amqp://localhost:5672';
export const DEFAULT_ADDRESS = 'examples';

export interface Args {
  readonly url: string;
  readonly address: string;
  readonly count: number;
}

/** `[url] [address] [count]`; a missing or `-` argument takes the default. */
export function args(defaults: { url?: string; address?: string; count: number }): Args {
  const [url, address, count] = process.argv.slice(2).map((a) => (a === '-' ? undefined : a));
  const n = count === undefined ? defaults.count : Number(count);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`count: expected a whole number ≥ 0, got ${JSON.stringify(count)}`);
    process.exit(2);
  }
  return { url: url ?? defaults.url ?? DEFAULT_URL, address: address ?? defaults.address ?? DEFAULT_ADDRESS, count: n };
}

/** Python's repr() of a decoded AMQP value: strings quoted, maps as dicts, lists as lists. */
export function repr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return `b'${Buffer.from(value).toString('latin1')}'`;
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${repr(k)}: ${repr(v)}`).join(', ')}}`;
  if (typeof value === 'object' && 'value' in value && 'type' in value) return repr((value as { value: unknown }).value); // Typed
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${repr(k)}: ${repr(v)}`)
      .join(', ')}}`;
  return String(value);
}

/** `print(message)` in Proton: `Message(address=…, reply_to=…, id=…, body=…)`, only the fields that are set. */
export function reprMessage(m: Message): string {
  const fields: [string, unknown][] = [
    ['address', m.to],
    ['reply_to', m.replyTo],
    ['durable', m.durable],
    ['ttl', m.ttl],
    ['priority', m.priority],
    ['first_acquirer', m.firstAcquirer],
    ['delivery_count', m.deliveryCount],
    ['id', m.messageId],
    ['correlation_id', m.correlationId],
    ['user_id', m.userId],
    ['group_id', m.groupId],
    ['properties', m.applicationProperties],
    ['body', m.body as AmqpValue],
  ];
  const shown = fields.filter(
    ([, v]) =>
      v !== undefined &&
      v !== null &&
      v !== false &&
      v !== 0 &&
      v !== '' &&
      !(typeof v === 'object' && !(v instanceof Uint8Array) && Object.keys(v as object).length === 0 && !(v instanceof Map)),
  );
  return `Message(${shown.map(([k, v]) => `${k}=${repr(v)}`).join(', ')})`;
}

/** The `scheme://host:port` part of a URL such as Proton's `localhost:5672/examples`: what `listen()` binds. */
export function listenAddress(url: string): string {
  return /^(?:amqps?:\/\/)?[^/]+/i.exec(url)?.[0] ?? url;
}

/** One line per connection status change (a `status$` value), for the reconnect and failover demos. */
export function describeStatus(status: ConnectionStatus): string {
  switch (status.type) {
    case 'connecting':
      return `status: connecting to ${status.url} (attempt ${status.attempt})`;
    case 'open':
      return `status: open, connected to ${status.url}`;
    case 'reconnecting': {
      const reason = status.error instanceof Error ? status.error.message : String(status.error);
      return `status: reconnecting${status.delayMs === undefined ? '' : ` in ${status.delayMs} ms`} (${reason})`;
    }
    case 'closed':
      return status.error === undefined ? 'status: closed' : `status: closed (${String(status.error)})`;
  }
}

/**
 * How simple_send.py and its kin end: given the count of accepted messages,
 * "all messages confirmed" when it is `total`, else a message and exit code 1.
 */
export function confirmation(total: number): Partial<Observer<number>> {
  return {
    next: (confirmed) => {
      if (confirmed === total) console.log('all messages confirmed');
      else {
        console.error(`only ${confirmed} of ${total} messages were accepted`);
        process.exitCode = 1;
      }
    },
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  };
}

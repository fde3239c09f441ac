import { firstValueFrom, lastValueFrom, of, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { symbol } from '../../codec/types.js';
import { connect, startBroker } from '../../index.js';
import { receive } from './receive.js';
import { send } from './send.js';
import { toPlainObjects } from './plain-objects.js';
import type { Message } from './message.js';

describe('toPlainObjects', () => {
  it('turns string-keyed maps into plain objects at any depth, and leaves other maps as Maps', () => {
    const value = new Map<unknown, unknown>([
      [
        'order',
        new Map<unknown, unknown>([
          ['qty', 2],
          ['tags', ['a', new Map([['deep', true]])]],
        ]),
      ],
      ['n', 42n],
    ]);
    expect(toPlainObjects(value as never)).toEqual({ order: { qty: 2, tags: ['a', { deep: true }] }, n: 42n });
    expect(JSON.stringify(toPlainObjects(new Map([['a', 1]]) as never))).toBe('{"a":1}');
    const symbolKeys = toPlainObjects(new Map<unknown, unknown>([[symbol('s'), new Map([['x', 1]])]]) as never) as Map<unknown, unknown>;
    expect(symbolKeys).toBeInstanceOf(Map);
    expect([...symbolKeys.values()]).toEqual([{ x: 1 }]);
    // Values without maps are returned as they are (no copy).
    const list = [1, 'a', [2]];
    expect(toPlainObjects(list as never)).toBe(list);
  });

  it("keeps a peer's __proto__ key as data, never as the object's prototype", () => {
    const object = toPlainObjects(new Map<unknown, unknown>([['__proto__', new Map([['polluted', true]])]]) as never) as Record<string, unknown>;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect((object as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(object)).toEqual(['__proto__']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("receive's plainObjects option", () => {
  async function roundTrip(body: unknown, options: { plainObjects?: boolean }) {
    const broker = await startBroker({ host: '127.0.0.1', port: 0 });
    try {
      const connection$ = connect(broker.url, { reconnect: false });
      await firstValueFrom(of({ body: body as never }).pipe(send(connection$, 'q')));
      const [delivery] = await lastValueFrom(receive(connection$, 'q', options).pipe(take(1), toArray()));
      return delivery!.message.body;
    } finally {
      await broker.stop();
    }
  }

  it('gives a plain-object body back as a plain object, JSON-printable', async () => {
    const body = { name: 'widget', qty: 2, parts: [{ id: 'a' }] };
    const plain = await roundTrip(body, { plainObjects: true });
    expect(plain).toEqual(body);
    expect(JSON.stringify(plain)).toBe(JSON.stringify(body));
    // By default a map is a Map, which JSON.stringify prints as {}.
    const typed = await roundTrip(body, {});
    expect(typed).toBeInstanceOf(Map);
    expect(JSON.stringify(typed)).toBe('{}');
  });

  it('is checked like every option', () => {
    expect(() => receive(of(), 'q', { plainObjects: 'yes' as never })).toThrow('receive: options.plainObjects: expected a boolean, got string "yes"');
  });
});

describe('send() of a message written for another library', () => {
  it('errors the stream with a TypeError naming the key and our spelling; nothing is sent', async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0 });
    try {
      const connection$ = connect(broker.url, { reconnect: false });
      const error = await firstValueFrom(
        of({ body: 'x', message_id: 1, application_properties: { a: 1 } } as unknown as Message).pipe(send(connection$, 'rhea-style')),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^message: unknown field "message_id": did you mean "messageId"\?/);
      expect(broker.stats().depth).toBe(0);
    } finally {
      await broker.stop();
    }
  });
});

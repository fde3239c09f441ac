import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { connect, listen, receive, send, sendFrom, transaction } from '../../index.js';
import { closest, unknownKey } from './check-keys.js';

describe('misspelt option names', () => {
  it('finds the name meant: case, underscores and dashes, up to two typing mistakes, synonyms', () => {
    const known = new Set(['prefetch', 'autoAccept', 'maxMessageSize', 'name']);
    expect(closest('prefech', known)).toBe('prefetch');
    expect(closest('autoaccept', known)).toBe('autoAccept');
    expect(closest('auto_accept', known)).toBe('autoAccept');
    expect(closest('max-message-size', known)).toBe('maxMessageSize');
    expect(closest('credit_window', known)).toBeUndefined();
    expect(closest('credit_window', known, { creditwindow: 'prefetch' })).toBe('prefetch');
    expect(closest('somethingElse', known)).toBeUndefined();
    expect(unknownKey('nmae', known)).toBe('"nmae": did you mean "name"? (known: prefetch, autoAccept, maxMessageSize, name)');
  });

  it('receive(), send(), sendFrom(), connect(), listen() and transaction() name the wrong option and list the valid ones', () => {
    const connection$ = of();
    const cases: [() => unknown, RegExp][] = [
      [
        () => receive(connection$, 'q', { prefech: 10 } as never),
        /^receive: unknown option "prefech": did you mean "prefetch"\? \(known: name, prefetch, prefetchBytes, autoAccept, .*plainObjects/,
      ],
      [() => receive(connection$, 'q', { autoaccept: false } as never), /^receive: unknown option "autoaccept": did you mean "autoAccept"\?/],
      [() => send(connection$, 'q', { buffersize: 3 } as never), /^send: unknown option "buffersize": did you mean "bufferSize"\? \(known: .*overflow/],
      [() => sendFrom(connection$, 'q', [], { presetled: true } as never), /unknown option "presetled": did you mean "presettled"\?/],
      [
        () => connect({ url: 'amqp://a', reconect: false } as never),
        /^connect: options: unknown option "reconect": did you mean "reconnect"\? \(known: url, urls, /,
      ],
      [() => connect({ url: 'amqp://a', tls: { veryfy: false } } as never), /options\.tls: unknown option "veryfy": did you mean "verify"\?/],
      [() => listen({ url: 'amqp://0.0.0.0:0', hots: 'x' } as never), /unknown option "hots"/],
      [() => transaction(connection$, { tiemout: 1 } as never), /unknown option "tiemout"/],
    ];
    for (const [call, message] of cases) expect(call, String(message)).toThrow(message);
  });
});

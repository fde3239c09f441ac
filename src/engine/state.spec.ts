import { describe, expect, it } from 'vitest';
import { CONNECTION_TRANSITIONS, LINK_TRANSITIONS, SESSION_TRANSITIONS, transition, type ConnectionInput, type ConnectionState } from './state.js';

// S comes from the table alone (NoInfer): inferred from `start` too, it would narrow to that one state.
function reachable<S extends string>(table: Record<S, Partial<Record<string, S>>>, start: NoInfer<S>): Set<S> {
  const seen = new Set<S>([start]);
  const todo: S[] = [start];
  while (todo.length > 0) {
    const s = todo.pop()!;
    for (const next of Object.values(table[s]) as S[]) if (!seen.has(next)) seen.add(next), todo.push(next);
  }
  return seen;
}

describe('state tables', () => {
  it('every state is reachable from the start, and the end is reachable from every state but discarding paths', () => {
    expect(reachable(CONNECTION_TRANSITIONS, 'start').size).toBe(Object.keys(CONNECTION_TRANSITIONS).length);
    expect(reachable(SESSION_TRANSITIONS, 'unmapped').size).toBe(Object.keys(SESSION_TRANSITIONS).length);
    expect(reachable(LINK_TRANSITIONS, 'detached').size).toBe(Object.keys(LINK_TRANSITIONS).length);
    for (const s of Object.keys(CONNECTION_TRANSITIONS) as ConnectionState[]) {
      expect(reachable(CONNECTION_TRANSITIONS, s).has('end'), s).toBe(true);
    }
  });

  it('follows the handshake of Part 2 §2.4.7 (pipelined open)', () => {
    const client: ConnectionInput[] = ['send-header', 'send-open', 'recv-header', 'recv-open', 'send-close', 'recv-close'];
    let s: ConnectionState | undefined = 'start';
    const seen: ConnectionState[] = [];
    for (const input of client) {
      s = transition(CONNECTION_TRANSITIONS, s!, input);
      seen.push(s!);
    }
    expect(seen).toEqual(['hdr-sent', 'open-pipe', 'open-sent', 'opened', 'close-sent', 'end']);
  });

  it('forbids a second open, and frames out of order', () => {
    expect(transition(CONNECTION_TRANSITIONS, 'opened', 'recv-open')).toBeUndefined();
    expect(transition(CONNECTION_TRANSITIONS, 'start', 'send-open')).toBeUndefined();
    expect(transition(SESSION_TRANSITIONS, 'mapped', 'recv-begin')).toBeUndefined();
    expect(transition(LINK_TRANSITIONS, 'attached', 'recv-attach')).toBeUndefined();
    expect(transition(LINK_TRANSITIONS, 'attach-rcvd', 'send-detach')).toBeUndefined();
  });
});

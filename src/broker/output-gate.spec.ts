import { describe, expect, it } from 'vitest';
import { MessageQueue, type ConsumerHandle } from './queue.js';
import { OutputGate } from './output-gate.js';

describe('OutputGate', () => {
  it('pauses its consumers once the connection has more than the limit to send, and resumes them when it drains', () => {
    let backlog = 0;
    const gate = new OutputGate(100, () => backlog);
    const queue = new MessageQueue('q');
    const given: number[] = [];
    // Each message 40 bytes: the gate counts what it is given until the output is written.
    const handle: ConsumerHandle = queue.addConsumer({
      deliver: (entry) => {
        given.push(entry.sequence);
        gate.sent(40);
      },
    });
    gate.add(handle);
    for (let i = 0; i < 10; i++) queue.put(new Uint8Array(40));
    handle.credit(10);
    expect(given).toEqual([0, 1, 2]); // 120 > 100 after the third
    expect(gate.isShut).toBe(true);
    // Written, but the socket holds it all: still shut.
    backlog = 120;
    gate.written();
    expect(given).toHaveLength(3);
    // Drained: the consumer goes on with the credit it kept.
    backlog = 0;
    gate.written();
    expect(given).toEqual([0, 1, 2, 3, 4, 5]);
    expect(handle.stats().credit).toBe(4);
  });

  it('pauses a consumer added while shut, and stops gating one removed', () => {
    const gate = new OutputGate(10, () => 50);
    gate.written();
    expect(gate.isShut).toBe(true);
    const queue = new MessageQueue('q');
    const given: number[] = [];
    const handle = queue.addConsumer({ deliver: (entry) => given.push(entry.sequence) });
    const stop = gate.add(handle);
    queue.put(new Uint8Array(1));
    handle.credit(1);
    expect(given).toEqual([]);
    stop();
    handle.resume();
    expect(given).toEqual([0]);
  });
});

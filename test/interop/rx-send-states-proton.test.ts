/**
 * A send's non-terminal delivery states and message format against Qpid
 * Proton (issue 18, item 5): proton_states_peer.py listens, answers a
 * "progress" message with the non-terminal state received (section 1,
 * offset 5, through Proton's Disposition) before accepting it, and prints
 * its frame trace, where Proton's decoder shows each transfer's
 * message-format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { Container, send, type Message, type SendProgress, type SendResult } from '../../src/index.js';
import { LOOPBACK, type PeerProcess } from '../support/peers/index.js';
import { startStatesPeer } from './proton-states-peer.js';
const VENDOR_FORMAT = 0x80013700;

describe("a send's delivery states and message format, with Proton as the receiver", () => {
  let peer: PeerProcess;
  let port = 0;

  beforeAll(async () => {
    ({ peer, port } = await startStatesPeer());
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it("reports Proton's received state (section 1, offset 5) before the outcome, and Proton decodes the message-format", async () => {
    const connection$ = new Container({ id: 'states-proton' }).connect(`amqp://${LOOPBACK}:${port}`, { reconnect: false });
    const results = await lastValueFrom(
      from<Message[]>([{ body: 'progress-1' }, { body: 'plain' }]).pipe(
        send(connection$, 'inbox', { nonTerminalStates: true, messageFormat: VENDOR_FORMAT }),
        toArray(),
      ),
    );
    const shown = results.map((r: SendResult | SendProgress) =>
      r.state === 'received' ? `${String(r.message.body)} received(${r.sectionNumber},${r.sectionOffset})` : `${String(r.message.body)} ${r.state}`,
    );
    expect(shown.filter((line) => line.startsWith('progress-1'))).toEqual(['progress-1 received(1,5)', 'progress-1 accepted']);
    expect(shown.filter((line) => line.startsWith('plain'))).toEqual(['plain accepted']);
    await peer.waitForOutput(/received progress-1/, 5000);
    // Proton's trace of the transfers it read: both carry our format.
    const transfers = peer
      .output()
      .split('\n')
      .filter((line) => line.includes('<- @transfer'));
    expect(transfers).toHaveLength(2);
    for (const line of transfers) expect(line).toContain(`message-format=0x${VENDOR_FORMAT.toString(16)}`);
  });
});

/**
 * Starts proton_states_peer.py (a Proton Python receiver that listens: see
 * its docstring) on a free loopback port, with Proton's frame trace on, and
 * waits until it accepts connections.
 */
import { fileURLToPath } from 'node:url';
import { canConnect, freePort, LOOPBACK, PeerProcess, protonPython } from '../support/peers/index.js';
import { sleep } from '../support/peers/net.js';

const SCRIPT = fileURLToPath(new URL('./proton_states_peer.py', import.meta.url));

export async function startStatesPeer(): Promise<{ readonly peer: PeerProcess; readonly port: number }> {
  const port = await freePort();
  const peer = new PeerProcess('proton_states_peer.py', protonPython(), ['-u', SCRIPT, `${LOOPBACK}:${port}`], { env: { ...process.env, PN_TRACE_FRM: '1' } });
  await peer.waitForOutput(/listening/, 15_000);
  while (!(await canConnect(LOOPBACK, port, 300))) await sleep(30);
  return { peer, port };
}

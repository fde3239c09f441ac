/**
 * A fake peer and a Container connected to it over a MemoryNetwork, in
 * virtual time (a VirtualTimeScheduler driven by hand with `runUntil`).
 */
import { VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { MemoryNetwork } from '../transport/memory/memory-network.js';
import type { ConnectOptions } from '../rx/client/connect-options.js';
import type { ConnectionObservable } from '../rx/connection/connection-observable.js';
import { Container } from '../rx/container.js';
import { FakePeer, type FakePeerOptions } from './fake-peer.js';

export interface PeerRig {
  readonly scheduler: VirtualTimeScheduler;
  readonly network: MemoryNetwork;
  readonly peer: FakePeer;
  readonly container: Container;
  readonly connection$: ConnectionObservable;
  /** Runs virtual time up to `t` (absolute ms), or until nothing is scheduled. */
  runUntil(t?: number): void;
}

export function peerRig(peerOptions: Partial<FakePeerOptions> = {}, connectOptions: ConnectOptions = {}): PeerRig {
  const scheduler = new VirtualTimeScheduler();
  const network = new MemoryNetwork({ scheduler });
  const peer = new FakePeer({ listen: network.listen, scheduler, ...peerOptions }).start();
  const container = new Container({ id: 'client', platform: { connect: network.connect }, scheduler });
  const connection$ = container.connect('amqp://localhost', connectOptions);
  return {
    scheduler,
    network,
    peer,
    container,
    connection$,
    runUntil(t = Infinity) {
      scheduler.maxFrames = t;
      scheduler.flush();
    },
  };
}

/** connect() to the fake peer on `network` (plain amqp://localhost), for tests that build their own scheduler. */
export function connectTo(network: MemoryNetwork, scheduler: SchedulerLike, options: ConnectOptions = {}): ConnectionObservable {
  return new Container({ id: 'client', platform: { connect: network.connect }, scheduler }).connect('amqp://localhost', options);
}

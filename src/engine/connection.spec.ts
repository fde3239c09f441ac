import { describe, expect, it } from 'vitest';
import { Condition } from '../errors/index.js';
import { ConnectionError, LocalProtocolError } from './errors.js';
import { EnginePair } from '../testing/engine-pair.js';

describe('connection open and close', () => {
  it('exchanges headers and opens with the negotiated parameters', () => {
    const pair = new EnginePair({
      client: { maxFrameSize: 4096, channelMax: 10, offeredCapabilities: ['a'], properties: { product: 'x' } },
      server: { maxFrameSize: 8192, channelMax: 3, desiredCapabilities: ['b'] },
    });
    pair.open();
    const [serverSaw] = pair.take('server', 'connection-opened');
    const [clientSaw] = pair.take('client', 'connection-opened');
    expect(serverSaw!.open).toMatchObject({
      containerId: 'client',
      hostname: 'localhost',
      maxFrameSize: 4096,
      channelMax: 10,
      offeredCapabilities: ['a'],
      properties: { product: 'x' },
    });
    expect(clientSaw!.open).toMatchObject({ containerId: 'server', maxFrameSize: 8192, channelMax: 3, desiredCapabilities: ['b'] });
    expect(pair.client.state).toBe('opened');
    expect(pair.server.state).toBe('opened');
  });

  it('closes cleanly from the client and both engines finish', () => {
    const pair = new EnginePair();
    pair.open();
    pair.client.close();
    pair.pump();
    expect(pair.take('server', 'connection-closed')).toEqual([{ type: 'connection-closed', initiator: 'remote', error: undefined }]);
    expect(pair.take('client', 'connection-closed')).toEqual([{ type: 'connection-closed', initiator: 'local', error: undefined }]);
    expect(pair.client.isFinished).toBe(true);
    expect(pair.server.isFinished).toBe(true);
    expect(pair.take('client', 'finished')).toHaveLength(1);
    expect(pair.take('server', 'finished')).toHaveLength(1);
  });

  it('closes from the server with an error the client receives as a remote ConnectionError', () => {
    const pair = new EnginePair();
    pair.open();
    pair.server.close({ condition: Condition.ConnectionForced, description: 'shutting down', info: { why: 'maintenance' } });
    pair.pump();
    const [closed] = pair.take('client', 'connection-closed');
    expect(closed!.initiator).toBe('remote');
    expect(closed!.error).toBeInstanceOf(ConnectionError);
    expect(closed!.error).toMatchObject({ condition: 'amqp:connection:forced', description: 'shutting down', remote: true });
    expect(closed!.error!.info?.get('why')).toBe('maintenance');
    const [serverClosed] = pair.take('server', 'connection-closed');
    expect(serverClosed!.initiator).toBe('local');
    expect(serverClosed!.error).toMatchObject({ condition: 'amqp:connection:forced', remote: false });
    expect(pair.client.isFinished && pair.server.isFinished).toBe(true);
  });

  it('pipelines the client open before the server header arrives', () => {
    const pair = new EnginePair();
    pair.client.open();
    const bytes = pair.client.takeOutput()!;
    // AMQP header then an open frame, in one buffer.
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    expect(bytes.length).toBeGreaterThan(8);
    expect(pair.client.state).toBe('open-pipe');
  });

  it('the server refuses a connection by opening and closing with an error', () => {
    const pair = new EnginePair();
    pair.client.open();
    pair.pump();
    expect(pair.take('server', 'connection-opened')).toHaveLength(1);
    pair.server.close({ condition: Condition.UnauthorizedAccess, description: 'no' });
    pair.pump();
    expect(pair.take('client', 'connection-opened')).toHaveLength(1);
    const [closed] = pair.take('client', 'connection-closed');
    expect(closed!.error?.condition).toBe('amqp:unauthorized-access');
    expect(pair.client.isFinished).toBe(true);
  });

  it('commands after close throw LocalProtocolError', () => {
    const pair = new EnginePair();
    pair.open();
    pair.client.close();
    expect(() => pair.client.beginSession()).toThrow(LocalProtocolError);
    expect(() => pair.client.close()).toThrow(LocalProtocolError);
  });

  it('rejects invalid options', () => {
    expect(() => new EnginePair({ client: { maxFrameSize: 100 } })).toThrow(LocalProtocolError);
    expect(() => new EnginePair({ client: { channelMax: 70000 } })).toThrow(LocalProtocolError);
  });

  it('reports a transport that ends before close as an aborted connection', () => {
    const pair = new EnginePair();
    pair.open();
    pair.client.feedEof(pair.now);
    pair.pump();
    const [closed] = pair.take('client', 'connection-closed');
    expect(closed!.error).toMatchObject({ condition: 'amqp:connection:framing-error', remote: true });
    expect(pair.client.isFinished).toBe(true);
    expect(() => pair.client.beginSession()).toThrow(LocalProtocolError);
  });

  it('beginSession before open throws', () => {
    const pair = new EnginePair();
    expect(() => pair.client.beginSession()).toThrow(/open\(\) first/);
  });

  it('closing before any AMQP header is exchanged just ends the transport', () => {
    const pair = new EnginePair();
    pair.server.close();
    expect(pair.server.takeOutput()).toBeUndefined();
    expect(pair.server.isFinished).toBe(true);
    pair.pump();
    expect(pair.take('server', 'connection-closed')).toEqual([{ type: 'connection-closed', initiator: 'local', error: undefined }]);
  });

  it('a peer that drops the transport instead of answering our close ends the close without error', () => {
    const pair = new EnginePair();
    pair.open();
    pair.client.close();
    pair.client.takeOutput(); // lost
    pair.client.feedEof(pair.now);
    pair.pump();
    expect(pair.take('client', 'connection-closed')).toEqual([{ type: 'connection-closed', initiator: 'local', error: undefined }]);
    expect(pair.client.isFinished).toBe(true);
  });

  it('a close error that cannot be encoded throws and changes nothing', () => {
    const pair = new EnginePair();
    pair.open();
    expect(() => pair.client.close({ condition: 'amqp:internal-error', info: { bad: Symbol('x') as never } })).toThrow(LocalProtocolError);
    expect(pair.client.state).toBe('opened');
    pair.client.close();
    pair.pump();
    expect(pair.client.isFinished).toBe(true);
  });
});

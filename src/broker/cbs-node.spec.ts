import { describe, expect, it } from 'vitest';
import { audienceCovers, CbsNode, type CbsClaims } from './cbs-node.js';
import { NodeRegistry } from './registry.js';

describe('audienceCovers', () => {
  it.each([
    ['orders', 'orders', true],
    ['orders', 'orders/eu', true],
    ['orders', 'orders-archive', false],
    ['amqp://broker.example/orders', 'orders', true],
    ['sb://ns.servicebus.windows.net/orders/', 'orders/eu', true],
    ['amqps://broker.example', 'anything', true],
    ['amqps://broker.example/', 'anything', true],
    ['amqp://broker.example/payments', 'orders', false],
  ])('%s covers %s: %s', (audience, address, covers) => {
    expect(audienceCovers(audience, address)).toBe(covers);
  });
});

describe('CbsNode.refusal', () => {
  const node = new CbsNode({ verifyToken: () => true }, new NodeRegistry());
  it('allows covered nodes until the token expires, and $cbs always', () => {
    const claims: CbsClaims = new Map([
      ['orders', 1000],
      ['amqp://h/audit', Infinity],
    ]);
    expect(node.refusal('orders', claims, 999)).toBeUndefined();
    expect(node.refusal('orders', claims, 1000)).toMatch(/no unexpired CBS token covers "orders"/);
    expect(node.refusal('audit', claims, 1e12)).toBeUndefined();
    expect(node.refusal('payments', claims, 0)).toMatch(/put one to \$cbs first/);
    expect(node.refusal('$cbs', new Map(), 0)).toBeUndefined();
  });

  it('required: false authorizes everything (tokens are only verified)', () => {
    expect(new CbsNode({ verifyToken: () => true, required: false }, new NodeRegistry()).refusal('payments', new Map(), 0)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { cacheSuccess } from './cache-success.js';

describe('cacheSuccess', () => {
  it('loads once after a success, and again after a failure', async () => {
    let calls = 0;
    const results = [Promise.reject(new Error('not installed')), Promise.resolve('module')];
    results[0]!.catch(() => undefined);
    const load = cacheSuccess(() => results[calls++]!);
    await expect(load()).rejects.toThrow('not installed');
    await expect(load()).resolves.toBe('module');
    await expect(load()).resolves.toBe('module');
    expect(calls).toBe(2);
  });
});

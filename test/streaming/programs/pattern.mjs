// The bytes of the large test messages: a 1 MiB block of a fixed pattern,
// repeated, so that sender and receiver agree on every byte without either
// holding the message.
export const BLOCK = 1024 * 1024;
export const block = new Uint8Array(BLOCK);
for (let i = 0; i < BLOCK; i++) block[i] = (i * 131 + (i >>> 8)) & 0xff;

/** Peak resident set size of this process so far, in bytes (Linux: VmHWM). */
export async function peakRss(pid = 'self') {
  const { readFileSync } = await import('node:fs');
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line)[1]) * 1024;
}

/**
 * examples/browser, the plain page (no framework, no bundler: it imports
 * dist/browser/rx-amqp.standalone.js), served from the repository root and
 * driven in headless Chromium against the embedded broker over WebSocket:
 * the flows of harness.ts. Runs after `npm run build` (the test script
 * builds first), which makes the bundle.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describePageFlows, REPO_ROOT, serveStatic, type StaticServer } from './harness.js';

let server: StaticServer | undefined;

beforeAll(async () => {
  const bundle = join(REPO_ROOT, 'dist/browser/rx-amqp.standalone.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: npm run build`);
  server = await serveStatic(REPO_ROOT);
});

afterAll(() => server?.close());

describePageFlows('examples/browser (plain page) in Chromium', () => ({
  pageUrl: (wsUrl, topic) => `${server!.origin}/examples/browser/?${new URLSearchParams({ url: wsUrl, topic })}`,
}));

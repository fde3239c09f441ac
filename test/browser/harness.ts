/**
 * What the browser tests share: a tiny static file server, Debian's Chromium
 * driven by playwright-core, the embedded broker with WebSocket on (in a
 * process of its own, killed and restarted on the same ports), and the flows both example apps must
 * pass, written once against the DOM contract the two share:
 *
 *   #status[data-status]         connecting | open | reconnecting | closed,
 *     [data-next-attempt-at]     when reconnecting: the next attempt (ms since the epoch)
 *   #error[data-condition]       the error banner (hidden when there is none)
 *   #send-form input[name=body]  the send form
 *   #counts[data-sent][data-accepted]
 *   #messages li                 one per message received from the topic
 *
 * Node's side uses the public API over TCP (amqp://), the page AMQP over
 * WebSocket (ws://), through the same broker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { firstValueFrom, lastValueFrom, map, range, toArray, type Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Container, receive, send, type Message } from '../../src/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// ---------------------------------------------------------------------------
// Static files

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves the files under `root` (a directory's index.html for the directory) on 127.0.0.1; GET and HEAD only. */
export function serveStatic(root: string): Promise<StaticServer> {
  const base = resolve(root);
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      done({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((closed) => {
            server.closeAllConnections();
            server.close(() => closed());
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------
// Chromium

/** Debian's Chromium (`apt-get install chromium`; npm test installs it), headless. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (npm test installs it: scripts/install-peers.sh), or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A page with its uncaught errors and console output collected, for failure messages. */
export interface TestPage {
  readonly page: Page;
  /** Uncaught exceptions in the page: a test expects none. */
  readonly pageErrors: string[];
  /** Console lines (`type: text`), for diagnosis. */
  readonly console: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser, url: string): Promise<TestPage> {
  const context: BrowserContext = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const console: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error.stack ?? error)));
  page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
  const response = await page.goto(url);
  expect(response?.status(), `GET ${url}`).toBe(200);
  return { page, pageErrors, console, close: () => context.close() };
}

// ---------------------------------------------------------------------------
// The broker

/**
 * The embedded broker (`startBroker({ host, port, ws: { port } })`) in a child
 * process (broker-process.mjs), on 127.0.0.1, TCP and WebSocket: a test kills
 * it with SIGKILL and starts it again on the same ports.
 */
export class BrokerProcess {
  private child: ChildProcess | undefined;
  /** The next broker's process, started ahead and ready (dist loaded), so a restart is quick. */
  private spare: Promise<ChildProcess> | undefined;
  private ports = { tcp: 0, ws: 0 };
  private nextId = 0;

  /** Starts it (on free ports the first time, then on the same ones). */
  async start(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const child = await (this.spare ?? BrokerProcess.fork());
      this.spare = BrokerProcess.fork();
      try {
        this.ports = await this.listen(child);
        this.child = child;
        return;
      } catch (error) {
        // A port that was ours a moment ago may still be held while the killed process is reaped.
        if (!String(error).includes('EADDRINUSE') || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private static fork(): Promise<ChildProcess> {
    const child = fork(join(REPO_ROOT, 'test/browser/broker-process.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    return new Promise((done, fail) => {
      child.once('exit', (code, signal) => fail(new Error(`the broker process exited (${code ?? signal}) before it was ready`)));
      child.once('message', () => done(child)); // { type: 'ready' }
    });
  }

  private listen(child: ChildProcess): Promise<{ tcp: number; ws: number }> {
    return new Promise((done, fail) => {
      child.once('exit', (code, signal) => fail(new Error(`the broker process exited (${code ?? signal}) before listening`)));
      child.on('message', (message: { type: string; port?: number; wsPort?: number; message?: string }) => {
        if (message.type === 'error') fail(new Error(`the broker did not start: ${message.message}`));
        if (message.type === 'listening') done({ tcp: message.port!, ws: message.wsPort! });
      });
      child.send({ type: 'start', port: this.ports.tcp, wsPort: this.ports.ws });
    });
  }

  /** Ends the spare process too (after the tests). */
  async close(): Promise<void> {
    await this.kill();
    const spare = await this.spare?.catch(() => undefined);
    this.spare = undefined;
    spare?.kill('SIGKILL');
  }

  /** SIGKILL: the broker dies without a word; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** amqp://127.0.0.1:PORT, for Node's side. */
  get tcpUrl(): string {
    return `amqp://127.0.0.1:${this.ports.tcp}`;
  }

  /** ws://127.0.0.1:PORT/, for the page. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.ports.ws}/`;
  }

  /** Consumers attached to `topic` (over all its subscriptions); 0 if there is no such topic. */
  topicConsumers(topic: string): Promise<number> {
    const child = this.child;
    if (child === undefined) return Promise.reject(new Error('the broker is not running'));
    const id = this.nextId++;
    return new Promise((done) => {
      const onMessage = (message: { type: string; id?: number; value?: number }): void => {
        if (message.type !== 'consumers' || message.id !== id) return;
        child.off('message', onMessage);
        done(message.value!);
      };
      child.on('message', onMessage);
      child.send({ type: 'consumers', id, topic });
    });
  }
}

// ---------------------------------------------------------------------------
// Node's side

const node = new Container({ id: 'browser-test-node' });
const TOPIC = { capabilities: ['topic'] };

/** A Node receiver on `topic` over TCP, collecting bodies; resolves once attached. */
export async function nodeReceiver(url: string, topic: string): Promise<{ bodies: unknown[]; subscription: Subscription }> {
  const bodies: unknown[] = [];
  let attached!: () => void;
  const isAttached = new Promise<void>((r) => (attached = r));
  const subscription = receive(node.connect(url, { reconnect: false }), topic, { ...TOPIC, onAttach: () => attached() }).subscribe({
    next: (d) => bodies.push(d.message.body),
    error: (error: unknown) => bodies.push(error),
  });
  await isAttached;
  return { bodies, subscription };
}

/** Sends `bodies` to `topic` from Node over TCP; resolves with the outcomes. */
export function nodeSend(url: string, topic: string, bodies: readonly string[]): Promise<string[]> {
  return lastValueFrom(
    range(0, bodies.length).pipe(
      map((i): Message => ({ body: bodies[i]! })),
      send(node.connect(url, { reconnect: false }), topic, TOPIC),
      map((r) => r.state),
      toArray(),
    ),
  );
}

/** Sends one message to `address` as a queue (no capability: the broker's default kind). */
export async function nodeSendToQueue(url: string, address: string): Promise<string> {
  return (
    await firstValueFrom(
      range(0, 1).pipe(
        map((): Message => ({ body: 'a queue message' })),
        send(node.connect(url, { reconnect: false }), address),
      ),
    )
  ).state;
}

// ---------------------------------------------------------------------------
// The page's side (the DOM contract above)

export async function pageStatus(page: Page): Promise<{ status: string | null; nextAttemptAt: number | undefined; text: string }> {
  return page.locator('#status').evaluate((element: HTMLElement) => ({
    status: element.getAttribute('data-status'),
    nextAttemptAt: element.dataset.nextAttemptAt ? Number(element.dataset.nextAttemptAt) : undefined,
    text: element.textContent ?? '',
  }));
}

export async function waitForStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  try {
    await page.locator(`#status[data-status="${status}"]`).waitFor({ timeout });
  } catch (error) {
    const now = await pageStatus(page).catch(() => undefined);
    throw new Error(`the page's status did not become ${status} in ${timeout} ms; it is ${JSON.stringify(now)}`, { cause: error });
  }
}

/** Waits for `reconnecting` and returns the status line as it was then (the next attempt turns it into `connecting`). */
export async function waitForReconnecting(page: Page, timeout = 20_000): Promise<string> {
  const text = await page.waitForFunction(
    () => {
      const element = document.querySelector<HTMLElement>('#status');
      return element?.dataset['status'] === 'reconnecting' ? (element.textContent ?? '') : false;
    },
    undefined,
    { timeout, polling: 10 },
  );
  return (await text.jsonValue()) as string;
}

export async function pageMessages(page: Page): Promise<string[]> {
  return page.locator('#messages li').allTextContents();
}

export async function sendFromPage(page: Page, body: string): Promise<void> {
  await page.locator('#send-form input[name="body"]').fill(body);
  await page.locator('#send-form button[type="submit"]').click();
}

async function counts(page: Page): Promise<{ sent: number; accepted: number }> {
  return page.locator('#counts').evaluate((element: HTMLElement) => ({
    sent: Number(element.dataset.sent),
    accepted: Number(element.dataset.accepted),
  }));
}

// ---------------------------------------------------------------------------
// The flows

export interface FlowTarget {
  /** The page's URL for a broker URL and a topic. */
  pageUrl(wsUrl: string, topic: string): string;
}

/**
 * Registers the flows against the app `target()` names (called after the
 * caller's own beforeAll hooks have run, e.g. a build and a server).
 */
export function describePageFlows(name: string, target: () => FlowTarget): void {
  describe(name, () => {
    let browser: Browser;
    const broker = new BrokerProcess();
    const cleanups: (() => unknown)[] = [];

    beforeAll(async () => {
      [browser] = await Promise.all([launchChromium(), broker.start()]);
    }, 60_000);

    afterEach(async () => {
      // Every cleanup runs; the first failure (e.g. an uncaught error in the page) is reported.
      const failures: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse())
        await Promise.resolve()
          .then(cleanup)
          .catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw failures[0];
    });

    afterAll(async () => {
      await browser?.close();
      await broker.close();
    });

    async function open(topic: string): Promise<TestPage> {
      const tested = await openPage(browser, target().pageUrl(broker.wsUrl, topic));
      cleanups.push(() => tested.close());
      cleanups.push(() => expect(tested.pageErrors, 'uncaught errors in the page').toEqual([]));
      return tested;
    }

    async function receiver(topic: string): Promise<{ bodies: unknown[] }> {
      const r = await nodeReceiver(broker.tcpUrl, topic);
      cleanups.push(() => r.subscription.unsubscribe());
      return r;
    }

    it('a message sent from the page reaches a Node receiver; one sent from Node appears on the page', async () => {
      const topic = 'chat-a';
      const { page } = await open(topic);
      await waitForStatus(page, 'open');
      await expect.poll(() => broker.topicConsumers(topic), { timeout: 10_000 }).toBe(1); // the page's subscription
      expect((await pageStatus(page)).text).toContain(broker.wsUrl);
      const fromPage = await receiver(topic);

      await sendFromPage(page, 'hello from the page');
      await expect.poll(() => fromPage.bodies, { timeout: 10_000 }).toEqual(['hello from the page']);
      await expect.poll(() => counts(page)).toEqual({ sent: 1, accepted: 1 });

      expect(await nodeSend(broker.tcpUrl, topic, ['hello from Node'])).toEqual(['accepted']);
      await expect.poll(() => pageMessages(page), { timeout: 10_000 }).toEqual(['hello from the page', 'hello from Node']);
      expect(await page.locator('#error').isHidden()).toBe(true);
    });

    it('shows the AMQP condition in the error banner when the broker refuses the topic', async () => {
      // A node created as a queue cannot be subscribed to as a topic: the broker refuses the attach.
      const address = 'orders-queue';
      expect(await nodeSendToQueue(broker.tcpUrl, address)).toBe('accepted');
      const { page } = await open(address);
      await page.locator('#error[data-condition="amqp:precondition-failed"]').waitFor({ timeout: 10_000 });
      expect(await page.locator('#error').textContent()).toContain('is a queue, not a topic');
      expect((await pageStatus(page)).status).toBe('open'); // a link error, not a connection error
    });

    it('killing the broker shows reconnecting; restarted on the same ports, the page is open again and nothing is lost', async () => {
      const topic = 'chat-c';
      const { page, console: consoleLines } = await open(topic);
      await waitForStatus(page, 'open');
      await expect.poll(() => broker.topicConsumers(topic), { timeout: 10_000 }).toBe(1);

      await broker.kill();
      const down = await waitForReconnecting(page);
      expect(down).toMatch(/^reconnecting: attempt \d+ at \d\d:\d\d:\d\d\.\d{3} \(in \d+\.\d s\)$/);
      // The banner names the reason: the lost socket, then each failed dial (a TransportError: amqp:internal-error).
      await page.locator('#error[data-condition="amqp:internal-error"]').waitFor({ timeout: 10_000 });

      // Sent while there is no connection: it waits in the send buffer.
      await sendFromPage(page, 'sent while the broker was down');
      await expect.poll(() => counts(page)).toEqual({ sent: 1, accepted: 0 });

      // A topic keeps nothing for subscribers that are not there yet, so the
      // Node receiver must be subscribed before the page's next attempt: wait
      // for a backoff long enough, restart, subscribe, and check the page's
      // attempt was indeed still to come.
      let nextAttemptAt = 0;
      await expect
        .poll(
          async () => {
            const s = await pageStatus(page);
            nextAttemptAt = s.status === 'reconnecting' ? (s.nextAttemptAt ?? 0) : 0;
            return nextAttemptAt - Date.now();
          },
          { timeout: 20_000, interval: 50 },
        )
        .toBeGreaterThan(1500);
      await broker.start();
      const fromPage = await receiver(topic);
      expect(Date.now(), 'the Node receiver subscribed before the page reconnected').toBeLessThan(nextAttemptAt);

      await waitForStatus(page, 'open', 15_000);
      await expect.poll(() => fromPage.bodies, { timeout: 10_000 }).toContain('sent while the broker was down');
      expect(
        fromPage.bodies.every((b) => b === 'sent while the broker was down'),
        String(fromPage.bodies),
      ).toBe(true); // at least once
      await expect.poll(() => counts(page)).toEqual({ sent: 1, accepted: 1 });
      await expect.poll(() => page.locator('#error').isHidden()).toBe(true);

      // The page's receiver re-attached on the new connection: everything Node sends now appears, in order.
      await expect.poll(() => broker.topicConsumers(topic), { timeout: 10_000 }).toBe(2);
      const after = Array.from({ length: 20 }, (_, i) => `after the restart ${i}`);
      expect(await nodeSend(broker.tcpUrl, topic, after)).toEqual(after.map(() => 'accepted'));
      await expect.poll(async () => (await pageMessages(page)).filter((m) => m.startsWith('after the restart')), { timeout: 10_000 }).toEqual(after);
      expect(consoleLines.filter((l) => l.startsWith('error:') && !l.includes('WebSocket'))).toEqual([]);
    }, 90_000);
  });
}

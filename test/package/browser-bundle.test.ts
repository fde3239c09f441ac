/**
 * The browser entry stays browser-safe: bundled by esbuild for the browser
 * platform (as Angular's and Vite's builds do), no Node builtin (`node:*`,
 * or bare `net`, `tls`, `fs`, `crypto`, `os`, `path`...) may be reached from
 * it, whether from src/browser.ts or through the package's `browser` export
 * condition. The Node entry, bundled the same way, does reach them: the
 * check can fail. The ready-made bundle in dist/browser runs against the
 * embedded broker with a W3C WebSocket (ws's) as the page's global. Runs
 * after `npm run build` (the test script builds first).
 */
import { builtinModules } from 'node:module';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { scramCredentialsFromPassword, startBroker, type RunningBroker } from '../../src/index.js';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function isBuiltin(path: string): boolean {
  return path.startsWith('node:') || BUILTINS.has(path) || BUILTINS.has(path.split('/')[0]!);
}

/** Bundles `entry` for the browser; returns every Node builtin import reached, as `module <- importer`, and the inputs. */
async function bundleForBrowser(entry: { file: string } | { contents: string }): Promise<{ builtins: string[]; inputs: string[] }> {
  const builtins: string[] = [];
  const recordBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        builtins.push(`${args.path} <- ${args.importer}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: process.cwd(), loader: 'ts' as const } }),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [recordBuiltins],
  });
  return { builtins, inputs: Object.keys(result.metafile.inputs) };
}

describe('the browser bundle', () => {
  it('src/browser.ts reaches no Node builtin', async () => {
    const { builtins, inputs } = await bundleForBrowser({ file: 'src/browser.ts' });
    expect(builtins).toEqual([]);
    expect(inputs).toContain('src/transport/websocket/connect-websocket.ts');
    expect(inputs.filter((f) => f.startsWith('src/node/') || f.startsWith('src/transport/node/') || f.startsWith('src/cli/'))).toEqual([]);
  });

  it("the package's `browser` condition selects the browser entry, which reaches no Node builtin", async () => {
    const { builtins, inputs } = await bundleForBrowser({ contents: "export { connect, Container } from 'rx-amqp';" });
    expect(builtins).toEqual([]);
    expect(inputs).toContain('dist/esm/browser.js');
    expect(inputs).not.toContain('dist/esm/index.js');
  });

  it('the check bites: the Node entry reaches node:net, node:tls and node:crypto', async () => {
    const { builtins } = await bundleForBrowser({ file: 'src/index.ts' });
    const modules = new Set(builtins.map((line) => line.split(' <- ')[0]));
    for (const name of ['node:net', 'node:tls', 'node:crypto']) expect(modules.has(name), name).toBe(true);
  });

  it('exports what the Node entry does, except what needs Node', async () => {
    const node = await import('../../src/index.js');
    const browser = await import('../../src/browser.js');
    const nodeOnly = ['listen', 'startBroker'];
    const missing = Object.keys(node).filter((name) => !(name in browser) && !nodeOnly.includes(name));
    expect(missing, 'add these to src/browser.ts, or to nodeOnly here if they need Node').toEqual([]);
    for (const name of nodeOnly) expect(name in browser, name).toBe(false);
  });
});

describe('dist/browser/rx-amqp.standalone.js with a W3C WebSocket as the global', () => {
  let broker: RunningBroker;
  const global = globalThis as { WebSocket?: unknown };
  const previous = global.WebSocket;
  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, ws: { port: 0 } });
    global.WebSocket = WebSocket;
  });
  afterAll(async () => {
    global.WebSocket = previous;
    await broker?.stop();
  });

  it('connects with connect(ws://…) and sends and receives', async () => {
    const page = (await import(pathToFileURL('dist/browser/rx-amqp.standalone.js').href)) as typeof import('../../src/browser.js') & {
      rxjs: typeof import('rxjs');
    };
    const { rxjs } = page;
    const connection$ = page.connect(broker.ws!.url, { reconnect: false });
    const results = await rxjs.lastValueFrom(
      rxjs.range(0, 20).pipe(
        rxjs.map((i) => ({ body: `from the page ${i}` })),
        page.send(connection$, 'page'),
        rxjs.toArray(),
      ),
    );
    expect(results.map((r) => r.state)).toEqual(Array(20).fill('accepted'));
    const bodies = await rxjs.lastValueFrom(
      page.receive(connection$, 'page').pipe(
        rxjs.take(20),
        rxjs.map((d) => d.message.body),
        rxjs.toArray(),
      ),
    );
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `from the page ${i}`));
  });

  it('authenticates with SCRAM, whose code the bundle loads when the server offers it (a load request answered by connect)', async () => {
    const salt = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
    const scram = await startBroker({
      host: '127.0.0.1',
      port: 0,
      ws: { port: 0 },
      listen: { sasl: { scramCredentials: (user, hash) => (user === 'page-user' ? scramCredentialsFromPassword(hash, 'page-secret', salt, 256) : undefined) } },
    });
    try {
      const page = (await import(pathToFileURL('dist/browser/rx-amqp.standalone.js').href)) as typeof import('../../src/browser.js') & {
        rxjs: typeof import('rxjs');
      };
      const { rxjs } = page;
      const connection$ = page.connect(scram.ws!.url, {
        user: 'page-user',
        password: 'page-secret',
        reconnect: false,
        sasl: { mechanisms: ['SCRAM-SHA-256'] },
      });
      const [result] = await rxjs.lastValueFrom(rxjs.of({ body: 'scram' }).pipe(page.send(connection$, 'scram'), rxjs.toArray()));
      expect(result!.state).toBe('accepted');
      const wrong = page.connect(scram.ws!.url, { user: 'page-user', password: 'wrong', reconnect: false });
      const error = await rxjs.firstValueFrom(wrong).catch((e: unknown) => e);
      expect(error).toMatchObject({ condition: 'amqp:unauthorized-access' });
      expect((error as Error).message).toMatch(/the server answered sasl-outcome auth/);
    } finally {
      await scram.stop();
    }
  });
});

#!/usr/bin/env node
// The `rx-amqp` command. The implementation is built from src/cli into dist/
// (npm run build): dist/cli/main.js is the CLI bundled into one file, which
// starts faster than the ~140 modules of dist/esm/cli/main.js (scripts/build.mjs).
import('../dist/cli/main.js')
  .then(
    async ({ main }) => {
      process.exitCode = await main(process.argv.slice(2));
    },
    (e) => {
      const missing = e && e.code === 'ERR_MODULE_NOT_FOUND';
      process.stderr.write(missing ? `rx-amqp: ${e.message}\n(is dist/ built? run \`npm run build\`)\n` : `rx-amqp: ${e?.stack ? e.stack : e}\n`);
      process.exitCode = 1;
    },
  )
  .catch((e) => {
    process.stderr.write(`rx-amqp: internal error: ${e?.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });

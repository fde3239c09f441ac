/**
 * A vitest reporter that ends the run with one line `N passed, N failed`
 * (plus `, N skipped` when tests were skipped or left as todo), the line
 * `.ci/run` and the README promise. vitest's own summary counts files and
 * tests in a layout that changes between versions; this one counts test
 * cases only.
 *
 * A failure that belongs to no test case still counts as one failed test, so
 * the line can never read "0 failed" for a red run: a test file that could not
 * be collected (syntax error, import error), a failing beforeAll/afterAll hook,
 * and each unhandled error.
 */
import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts the test cases of a finished run; exported for the reporter's own spec. */
export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of testModules) {
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else if (state === 'skipped') counts.skipped++;
      // 'pending' cannot occur after the run ends, except when it was
      // interrupted; an unfinished test has not passed.
      else counts.failed++;
    }
    counts.failed += errorsOutsideTests(module);
  }
  counts.failed += unhandledErrors.length;
  return counts;
}

/** Errors attached to a module or suite rather than to a test: collection errors and hook failures. */
function errorsOutsideTests(suite: TestModule | TestSuite): number {
  let n = suite.errors().length > 0 ? 1 : 0;
  for (const child of suite.children.suites()) n += errorsOutsideTests(child);
  return n;
}

export function formatCounts(c: RunCounts): string {
  return `${c.passed} passed, ${c.failed} failed${c.skipped > 0 ? `, ${c.skipped} skipped` : ''}`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    // Written after the default reporter's summary (reporters run in the order configured).
    process.stdout.write(`${formatCounts(countRun(testModules, unhandledErrors))}\n`);
  }
}

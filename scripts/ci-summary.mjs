// Sums vitest JSON reports into the one line CI reads: "N passed, N failed".
// A missing report (the run crashed before writing it), a test file that failed without
// a failing test (it did not load, or a hook threw) and a run with no tests each count
// as one failure, so a broken run can never look green.
import fs from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.error(`missing test report ${file}`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const result of report.testResults ?? []) {
    const failingTests = (result.assertionResults ?? []).filter((test) => test.status === 'failed').length;
    if (result.status === 'failed' && failingTests === 0) {
      console.error(`test file failed outside its tests: ${result.name}: ${String(result.message ?? '').slice(0, 300)}`);
      failed += 1;
    }
  }
  if ((report.numTotalTests ?? 0) === 0) failed += 1;
}
// Skipped tests (those that need PostgreSQL, in the embedded run) are said on a line of
// their own before: CI reads the closing line as exactly "N passed, N failed".
if (skipped) console.error(`${skipped} skipped (each says why in its name)`);
console.log(`${passed} passed, ${failed} failed`);

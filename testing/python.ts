/**
 * Runs Debian's python3 as an external reference (Pillow for resize, onnx for building graphs).
 * Tests that need a module skip with a loud message where it is absent, except under
 * FERRY_REQUIRE_REAL_DATA=1 (CI installs the packages, so absence there is a failure).
 */
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env.FERRY_PYTHON ?? '/usr/bin/python3';

export function hasPythonModules(modules: string[], testName: string): boolean {
  const result = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('\n')], {
    encoding: 'utf8',
  });
  if (result.status === 0) return true;
  const message = `SKIP ${testName}: ${PYTHON} with ${modules.join(', ')} is not available (apt-get install python3-pil python3-onnx)`;
  if (process.env.FERRY_REQUIRE_REAL_DATA === '1')
    throw new Error(`FERRY_REQUIRE_REAL_DATA=1 but ${message}`);
  console.warn(`\n!!! ${message}\n`);
  return false;
}

export function runPython(script: string, args: string[] = []): string {
  const result = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

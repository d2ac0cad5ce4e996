/** Runs a CLI script with Node and collects its output until it exits (or `until` matches stdout). */
import { spawn } from 'node:child_process';

export function runCli(script: string, args: string[], until?: RegExp) {
  const child = spawn(process.execPath, [script, ...args], {
    // Empty values: the developer's own settings must not leak in (empty counts as unset).
    env: { ...process.env, FERRY_MODEL: '', PORT: '', HOST: '', FERRY_STATIC_DIR: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const matched = new Promise<string>((done, fail) => {
    if (!until) return;
    child.stdout.on('data', () => {
      const m = stdout.match(until);
      if (m) done(m[0]);
    });
    exited.then((code) => fail(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, exited, matched, output: () => ({ stdout, stderr }) };
}

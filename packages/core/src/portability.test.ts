import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * core must run unchanged in Node, browsers and workerd: no Node built-ins, no DOM, no Node
 * globals in shipped sources, and no runtime dependency beyond portable pure-JS packages.
 */
const SRC = new URL('.', import.meta.url).pathname;
const shipped = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test-support' ? [] : shipped(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });

describe('core portability', () => {
  it('shipped sources use no Node-only or DOM-only APIs', () => {
    const files = shipped(SRC);
    expect(files.length).toBeGreaterThan(10);
    const forbidden = [
      /from ['"]node:/,
      /require\(/,
      /\bprocess\./,
      /\bBuffer\b/,
      /\bdocument\./,
      /\bwindow\./,
      /\b__dirname\b/,
    ];
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      for (const pattern of forbidden)
        expect({ file, hit: pattern.test(code) }).toEqual({ file, hit: false });
    }
  });

  it('runtime dependencies are only portable pure-JS packages', () => {
    const pkg = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['onnxruntime-common']);
  });
});

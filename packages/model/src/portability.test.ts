import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * model must run unchanged in Node and in a web page (the `ferry` CLI and the page call the same
 * functions): no Node built-ins, no Node globals and no Node-only package in shipped sources, and
 * no runtime dependency beyond portable pure-JS packages. tfjs is handed in by the caller
 * (`import type` only).
 */
const SRC = new URL('.', import.meta.url).pathname;
const shipped = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test-support' ? [] : shipped(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });

/** Packages that only run under Node (native addons, Node's file system). */
const NODE_ONLY = ['onnxruntime-node', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'wabt'];

describe('model portability', () => {
  it('shipped sources use no Node-only or DOM-only APIs', () => {
    const files = shipped(SRC);
    expect(files.length).toBeGreaterThan(3);
    const forbidden = [
      /from ['"]node:/,
      /import\(['"]node:/,
      /require\(/,
      /\bprocess\./,
      /\bBuffer\b/,
      /\bdocument\./,
      /\bwindow\./,
      /\b__dirname\b/,
      ...NODE_ONLY.map((name) => new RegExp(`from ['"]${name}(/[^'"]*)?['"]`)),
    ];
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      for (const pattern of forbidden)
        expect({ file, pattern: String(pattern), hit: pattern.test(code) }).toEqual({
          file,
          pattern: String(pattern),
          hit: false,
        });
    }
  });

  it('imports tfjs for its types only: the caller hands in its own tfjs', () => {
    for (const file of shipped(SRC)) {
      const code = readFileSync(file, 'utf8');
      expect({ file, hit: /^import (?!type )[^;]*from ['"]@tensorflow\//m.test(code) }).toEqual({
        file,
        hit: false,
      });
    }
  });

  it('runtime dependencies are only portable pure-JS packages', () => {
    const pkg = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['@ferry/core', 'protobufjs']);
  });
});

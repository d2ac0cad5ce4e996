/**
 * The fitted open-set parameters in a run directory: `open-set/params.json` (method, sizes) and
 * `open-set/params.bin` (the float32 arrays back to back, in the order ARRAYS lists them). The
 * exporter reads them beside checkpoint/ to build the graph's score output.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPEN_SET_METHODS, type OpenSetMethod } from '@ferry/core';
import type { OpenSetParams } from '@ferry/model';
import { writeFileAtomic } from '../io/atomic-write.js';

export const OPEN_SET_DIR = 'open-set';
const ARRAYS = ['bank', 'means', 'whiten'] as const;

export class OpenSetParamsError extends Error {
  override name = 'OpenSetParamsError';
}

export async function writeOpenSetParams(runDir: string, params: OpenSetParams): Promise<void> {
  const dir = join(runDir, OPEN_SET_DIR);
  const arrays: Record<string, number> = {};
  const parts: Float32Array[] = [];
  // Every method's parameters: its scalars, and some of the arrays ARRAYS names.
  const fields = params as unknown as Record<string, unknown>;
  for (const key of ARRAYS) {
    const a = fields[key] as Float32Array | undefined;
    if (!a) continue;
    arrays[key] = a.length;
    parts.push(a);
  }
  const total = parts.reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const a of parts) {
    flat.set(a, offset);
    offset += a.length;
  }
  const { bank: _b, means: _m, whiten: _w, ...scalars } = fields;
  // The binary first: a params.json always describes a complete params.bin.
  await writeFileAtomic(join(dir, 'params.bin'), new Uint8Array(flat.buffer));
  await writeFileAtomic(join(dir, 'params.json'), `${JSON.stringify({ ...scalars, arrays }, null, 2)}\n`);
}

export async function readOpenSetParams(runDir: string): Promise<OpenSetParams | undefined> {
  const dir = join(runDir, OPEN_SET_DIR);
  if (!existsSync(join(dir, 'params.json'))) return undefined;
  const meta = JSON.parse(await readFile(join(dir, 'params.json'), 'utf8')) as {
    method: string;
    arrays: Record<string, number>;
  };
  if (!OPEN_SET_METHODS.includes(meta.method as OpenSetMethod))
    throw new OpenSetParamsError(`${dir}/params.json: unknown method ${JSON.stringify(meta.method)}`);
  const buf = await readFile(join(dir, 'params.bin'));
  const flat = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const expected = Object.values(meta.arrays).reduce((s, n) => s + n, 0);
  if (flat.length !== expected)
    throw new OpenSetParamsError(
      `${dir}/params.bin holds ${flat.length} floats, params.json says ${expected}`,
    );
  const { arrays, ...scalars } = meta;
  const params: Record<string, unknown> = { ...scalars };
  let offset = 0;
  for (const key of ARRAYS) {
    const n = arrays[key];
    if (n === undefined) continue;
    params[key] = flat.slice(offset, offset + n);
    offset += n;
  }
  return params as unknown as OpenSetParams;
}

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../test-support/synthetic.js';
import { DatasetError, describeBalance, loadDataset, parseCsv } from './dataset.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-dataset-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadDataset', () => {
  it('uses train/ and val/ folders as the split when both exist', async () => {
    const dir = join(root, 'split');
    await makeImageFolder(join(dir, 'train'), ['ants', 'bees'], 3);
    await makeImageFolder(join(dir, 'val'), ['ants', 'bees'], 2);
    const ds = await loadDataset({ dir });
    expect(ds.split).toBe('folders');
    expect(ds.labels).toEqual(['ants', 'bees']);
    expect(ds.train).toHaveLength(6);
    expect(ds.val).toHaveLength(4);
    expect(ds.val.every((s) => s.path.includes('/val/'))).toBe(true);
  });

  it('makes a stratified split that depends only on the seed', async () => {
    const dir = join(root, 'flat');
    await makeImageFolder(dir, ['a', 'b', 'c'], 10);
    const one = await loadDataset({ dir, valSplit: 0.3, seed: 5 });
    const two = await loadDataset({ dir, valSplit: 0.3, seed: 5 });
    const other = await loadDataset({ dir, valSplit: 0.3, seed: 6 });
    expect(one.split).toBe('stratified');
    expect(one.val).toEqual(two.val);
    expect(one.val).not.toEqual(other.val);
    for (let c = 0; c < 3; c++) expect(one.val.filter((s) => s.label === c)).toHaveLength(3);
    const all = new Set([...one.train, ...one.val].map((s) => s.path));
    expect(all.size).toBe(30);
  });

  it('rejects a single class, an empty class and a missing directory with clear messages', async () => {
    const single = join(root, 'single');
    await makeImageFolder(single, ['only'], 3);
    await expect(loadDataset({ dir: single })).rejects.toThrow(/only one class \(only\)/);
    const empty = join(root, 'empty-class');
    await makeImageFolder(empty, ['a'], 3);
    await mkdir(join(empty, 'b'));
    await writeFile(join(empty, 'b', 'readme.txt'), 'no images here');
    await expect(loadDataset({ dir: empty })).rejects.toThrow(/no images in .*: b/);
    await expect(loadDataset({ dir: join(root, 'nope') })).rejects.toThrow(DatasetError);
    await expect(loadDataset({ dir: join(root, 'nope') })).rejects.toThrow(/does not exist/);
  });

  it('reads a CSV manifest with quotes and a header, paths relative to the CSV', async () => {
    const dir = join(root, 'csv');
    await makeImageFolder(dir, ['cat', 'dog'], 4);
    const rows = ['file,label'];
    for (const l of ['cat', 'dog']) for (let i = 0; i < 4; i++) rows.push(`"${l}/img_00${i}.jpg",${l}`);
    await writeFile(join(dir, 'labels.csv'), rows.join('\n'));
    const ds = await loadDataset({ csv: join(dir, 'labels.csv'), valSplit: 0.25 });
    expect(ds.split).toBe('csv');
    expect(ds.labels).toEqual(['cat', 'dog']);
    expect(ds.train.length + ds.val.length).toBe(8);
    expect(ds.val.map((s) => s.label).sort()).toEqual([0, 1]);
    await writeFile(join(dir, 'bad.csv'), 'a.jpg\n');
    await expect(loadDataset({ csv: join(dir, 'bad.csv') })).rejects.toThrow(
      /bad.csv:1: expected "file,label"/,
    );
  });

  it('parses quoted CSV cells with commas and escaped quotes', () => {
    expect(parseCsv('"a, b.jpg","x ""y"""\n\nc.jpg,z')).toEqual([
      ['a, b.jpg', 'x "y"'],
      ['c.jpg', 'z'],
    ]);
  });

  it('reports class imbalance', async () => {
    const dir = join(root, 'imbalanced');
    await makeImageFolder(dir, ['many'], 9);
    await makeImageFolder(dir, ['few'], 3, 2);
    const ds = await loadDataset({ dir, valSplit: 0.2 });
    const balance = describeBalance(ds, [...ds.train, ...ds.val]);
    expect(balance.counts.many).toBe(9);
    expect(balance.warning).toMatch(/class imbalance: .*many=9.*largest\/smallest = 3\.00/);
  });
});

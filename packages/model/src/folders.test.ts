import { describe, expect, it } from 'vitest';
import { classBalance, DatasetError, folderDataset, isPhotoFileName } from './folders.js';

const folders = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe('folder rules (ferry train --data and the page alike)', () => {
  it('counts photos by extension, case-insensitive, and passes over hidden files', () => {
    expect(['a.JPG', 'b.jpeg', 'c.png', 'd.webp', 'e.gif'].every(isPhotoFileName)).toBe(true);
    expect(['notes.txt', '.hidden.jpg', 'jpg', 'model.onnx'].some(isPhotoFileName)).toBe(false);
  });

  it('labels in listing order, the stratified split, the CLI messages for one class and empty classes', () => {
    const classes = folders({
      ants: ['d/ants/1.jpg', 'd/ants/2.jpg', 'd/ants/3.jpg', 'd/ants/4.jpg', 'd/ants/5.jpg'],
      bees: ['d/bees/1.jpg', 'd/bees/2.jpg'],
    });
    const ds = folderDataset({ classes }, 'd', 0.2, 42);
    expect(ds.labels).toEqual(['ants', 'bees']);
    expect(ds.split).toBe('stratified');
    expect(ds.val.map((s) => s.label).sort()).toEqual([0, 1]);
    expect(ds.train.length + ds.val.length).toBe(7);
    expect(() => folderDataset({ classes: folders({ ants: ['d/ants/1.jpg'] }) }, 'd', 0.2, 42)).toThrow(
      'only one class (ants) in d: a classifier needs at least two class folders',
    );
    expect(() => folderDataset({ classes: folders({ ants: ['x'], bees: [] }) }, 'd', 0.2, 42)).toThrow(
      /class folder\(s\) with no images in d: bees/,
    );
  });

  it('train/ + val/: label-major order, and val must hold every class', () => {
    const train = folders({ ants: ['d/train/ants/1.jpg'], bees: ['d/train/bees/1.jpg'] });
    const ds = folderDataset(
      { train, val: folders({ ants: ['d/val/ants/1.jpg'], bees: ['d/val/bees/1.jpg'] }) },
      'd',
      0.2,
      42,
    );
    expect(ds.split).toBe('folders');
    expect(ds.val.map((s) => s.path)).toEqual(['d/val/ants/1.jpg', 'd/val/bees/1.jpg']);
    const missing = () =>
      folderDataset({ train, val: folders({ ants: ['d/val/ants/1.jpg'] }) }, 'd', 0.2, 42);
    expect(missing).toThrow(DatasetError);
    expect(missing).toThrow('val/ has no images for class(es): bees');
  });

  it('warns when the largest class has over 1.5x the smallest', () => {
    const labels = ['a', 'b'];
    const samples = [0, 0, 0, 0, 1, 1].map((label, i) => ({ path: String(i), label }));
    expect(classBalance(labels, samples).warning).toMatch(
      /class imbalance: a=4, b=2 \(largest\/smallest = 2.00\)/,
    );
    expect(classBalance(labels, samples.slice(1)).warning).toBeUndefined();
  });
});

/** Formatting helpers of the report's sections. */
import { cpus } from 'node:os';

export const fmt = (x, d = 1) => (x == null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
export const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)} %`);
export const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
export const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
export const loadNote = (j) => {
  if (!j?.loadavg_before) return '';
  const note = `Load average (1/5/15 min) before ${j.loadavg_before.join(' / ')}, after ${j.loadavg_after?.join(' / ') ?? '–'}.`;
  const busiest = Math.max(j.loadavg_before[0], j.loadavg_after?.[0] ?? 0);
  // Figures taken while other work held the cores measure the contention as much as the code.
  return busiest > cpus().length
    ? `${note} **The load was above the ${cpus().length} cores: other processes competed for the CPU, so times are inflated and noisy, multi-threaded runtimes (PyTorch, onnxruntime-node) most.**`
    : note;
};

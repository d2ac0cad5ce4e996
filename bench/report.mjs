/**
 * The report writer: bench/REPORT.md from whatever bench/out/<part>.json holds. A part without its
 * JSON keeps its section from the report on disk, so a partial rerun changes only its own.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { QUICK, REPORT, readJson } from './lib/context.mjs';
import { table } from './lib/format.mjs';
import { edgeSection } from './parts/edge.mjs';
import { exportSection } from './parts/export.mjs';
import { inPageSection } from './parts/in-page.mjs';
import { inferenceSection } from './parts/inference.mjs';
import { memorySection } from './parts/memory.mjs';
import { openSetSection } from './parts/open-set.mjs';
import { peersSection } from './parts/peers.mjs';
import { trainingSection } from './parts/training.mjs';
import { uploadsSection } from './parts/uploads.mjs';

/**
 * Sections of the report now on disk, by title: a part whose JSON this checkout does not have
 * (bench/out is not committed) keeps its last measured section, which carries its own date.
 */
function previousSections() {
  if (!existsSync(REPORT)) return {};
  const sections = {};
  const parts = readFileSync(REPORT, 'utf8').split(/^## (?:\d+[a-z]?\. )?(.+)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) sections[parts[i].trim()] = parts[i + 1].trim();
  return sections;
}

export function writeReport() {
  const m = readJson('machine');
  const t = readJson('training');
  const inf = readJson('inference');
  const e = readJson('edge');
  const mem = readJson('memory');
  const x = readJson('export');
  const before = previousSections();
  const KEPT = '_(Kept from the previous report: this part was not re-run with the runs above.)_';
  // A section rendered anew keeps the "### Earlier runs" block of its previous text: runs of the
  // code before a change, kept for comparison, that no JSON in bench/out holds any more.
  const EARLIER = '\n### Earlier runs';
  const withEarlier = (title, text) => {
    const previous = before[title] ?? '';
    const at = previous.indexOf(EARLIER);
    return at < 0 || text.includes(EARLIER)
      ? text
      : `${text}\n${previous.slice(at).replace(`\n\n${KEPT}`, '')}`;
  };
  const kept = (title, json, render) => {
    if (json || !before[title]) return withEarlier(title, render());
    return before[title].endsWith(KEPT) ? before[title] : `${before[title]}\n\n${KEPT}`;
  };
  const md = [
    `# Ferry benchmark report${QUICK ? ' (QUICK SMOKE RUN: not representative)' : ''}`,
    '',
    'Written by `npm run bench` (`node bench/run.js`); every figure below comes from that run. Rerun one part with `node bench/run.js --only <part>`.',
    '',
    '## Machine',
    '',
    m || !before.Machine
      ? table(
          ['', ''],
          [
            ['date', m?.date ?? '–'],
            ['CPU', `${m?.cpu} (${m?.cores} cores)`],
            ['RAM', `${m?.ram_gib} GiB (${m?.free_gib_at_start} GiB free at start)`],
            ['OS', m?.os ?? '–'],
            ['Node', m?.node ?? '–'],
            ['Python / PyTorch, torchvision', `${m?.python} / ${m?.torch}`],
            ['uptime at start', `\`${m?.uptime}\``],
          ],
        )
      : before.Machine.split('\n\nThe machine is shared')[0],
    '',
    'The machine is shared with other engineers; each section records the load average around its own measurements.',
    '',
    '## 1. Training: Ferry vs the PyTorch transfer-learning tutorial',
    '',
    kept('Training: Ferry vs the PyTorch transfer-learning tutorial', t, () => trainingSection(t)),
    '',
    '## 2. Training: Ferry vs precomputed features + a linear layer (the strongest simple peer)',
    '',
    kept(
      'Training: Ferry vs precomputed features + a linear layer (the strongest simple peer)',
      readJson('peers'),
      () => peersSection(readJson('peers')),
    ),
    '',
    '## 3. Inference',
    '',
    kept('Inference', inf, () => inferenceSection(inf, e)),
    '',
    '## 4. Edge load',
    '',
    kept('Edge load', e, () => edgeSection(e)),
    '',
    '## 4b. Real uploads: phone-camera photos',
    '',
    kept('Real uploads: phone-camera photos', readJson('uploads'), () => uploadsSection(readJson('uploads'))),
    '',
    '## 5. Memory',
    '',
    kept('Memory', mem, () => memorySection(mem, t)),
    '',
    '## 6. Export precision',
    '',
    kept('Export precision', x, () => exportSection(x)),
    '',
    '## 7. Open set',
    '',
    kept('Open set', readJson('open-set'), () => openSetSection(readJson('open-set'))),
    '',
    '## 8. Training in the page',
    '',
    kept('Training in the page', readJson('in-page'), () => inPageSection(readJson('in-page'))),
    '',
  ].join('\n');
  writeFileSync(`${REPORT}.${process.pid}.tmp`, md);
  renameSync(`${REPORT}.${process.pid}.tmp`, REPORT);
}

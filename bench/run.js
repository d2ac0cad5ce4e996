#!/usr/bin/env node
/**
 * `npm run bench`: Ferry side by side with the PyTorch transfer-learning tutorial, measured in one
 * run on this machine, written to bench/REPORT.md. No asserts: it reports what it measured.
 *
 * Parts (each writes bench/out/<part>.json; the report is assembled from whatever JSON is there):
 *   training   port check (check_port.py), then `ferry train` (features, the default) and
 *              `--mode finetune` vs train.py (the tutorial recipe) in modes fixed and finetune on the
 *              same weights; fixed also with the frozen backbone in eval mode; loader workers
 *              tuned first on short runs
 *   peers      the default `ferry train` side by side with the strongest simple PyTorch peer,
 *              precomputed features + a linear layer (features.py; its fastest configuration
 *              found first), and that peer with augmented views, on ants/bees and the flowers;
 *              the physical floor (train-floor.mjs) beside them
 *   inference  bench/inference.mjs on the Ferry default run (batch 1 and 32, four runtimes)
 *   edge       bench/edge-load.mjs on that run's model.onnx (workerd: cold start, p50/p99, memory)
 *   uploads    bench/real-uploads.mjs on that model: 12/24-MP JPEGs (a real mate-backgrounds photo
 *              when installed, upscaled val photos) and a 12-MP PNG through workerd, the Node
 *              server and the `ferry predict` path (p50/p99); memory under 16 concurrent 12-MP uploads
 *   memory     bench/train-memory.mjs when present (peak RSS of training runs)
 *   export     bench/export-precision.mjs: fp32/fp16/int8 sizes and val accuracy
 *   open-set   bench/open-set.mjs: open-set AUROC/FPR95/ECE per method (ants/bees, flowers LOCO)
 *   in-page    the web demo's train view (train/) in headless Chromium beside the default
 *              `ferry train` (cold, same run) on ants/bees, the flowers and a 1,000-photo set:
 *              wall time from page.goto and from the photos in to the model, peak RSS/PSS of
 *              the page's renderer and of all Chromium processes. Needs Debian's Chromium
 *              (/usr/bin/chromium, or FERRY_CHROMIUM) and the built page (built when missing:
 *              npm run build -w @ferry/web-demo; FERRY_WEB_DEMO_DIST=<dist> serves another
 *              checkout's build instead); waits up to 15 min for a 1-min load under 1.0
 *
 * Usage: node bench/run.js [--only PART[,PART]] [--quick] [--peer-epochs N] [--report]
 *   --only PART      parts to (re)run; training:<run> reruns one training run and merges it into
 *                    training.json (runs: ferry-features, ferry-finetune, ferry-features-seed7,
 *                    ferry-finetune-seed7, pytorch-fixed, pytorch-finetune)
 *   --quick          smoke run: a few images, 1 epoch, short timings; writes bench/out/quick/
 *                    and bench/out/quick/REPORT.md, never bench/REPORT.md
 *   --peer-epochs N  epochs of the PyTorch peer (default 25, the tutorial's);
 *                    --peer-finetune-epochs N for its finetune mode alone
 *   --memory-images N  size of train-memory.mjs's generated set (its default: 10000)
 *   --report         only re-assemble the report from bench/out/*.json
 * Needs the packages built (`npm install` does it) and the ants/bees photos + MobileNetV2 weights:
 * FERRY_DATA_DIR / FERRY_MODELS_DIR, else ~/.cache/ferry (as `npm run demo` resolves them); the
 * peers part also reads FERRY_DATA_DIR/oxford_flowers12 when it is there. The PyTorch peers need
 * Debian's PyTorch, called as /usr/bin/python3 (pip is not used):
 *   apt-get install -y python3-torch python3-torchvision
 * The bench installs nothing itself; without PyTorch it skips the peers and says so. CI does not
 * run the bench. Layout: lib/ (shared), parts/<part>.mjs (one run + its report section each),
 * report.mjs (the writer), this file (the command line).
 */
import { args, machine, OUT, only, PARTS, QUICK, REPORT, step, writeJson } from './lib/context.mjs';
import { edge } from './parts/edge.mjs';
import { exportPart } from './parts/export.mjs';
import { inPagePart } from './parts/in-page.mjs';
import { inference } from './parts/inference.mjs';
import { memory } from './parts/memory.mjs';
import { openSetPart } from './parts/open-set.mjs';
import { peersPart } from './parts/peers.mjs';
import { training } from './parts/training.mjs';
import { uploads } from './parts/uploads.mjs';
import { writeReport } from './report.mjs';

// ---------------------------------------------------------------------------------------------

const run = {
  training,
  peers: peersPart,
  inference,
  edge,
  uploads,
  memory,
  export: exportPart,
  'open-set': openSetPart,
  'in-page': inPagePart,
};
step(`bench${QUICK ? ' --quick' : ''}: parts ${only.join(', ')}; output ${OUT}`);
if (!args.report) writeJson('machine', machine());
let failed = 0;
let peer;
for (const part of PARTS.filter((p) => only.includes(p))) {
  try {
    const rest = await run[part]();
    if (part === 'training') peer = rest;
  } catch (error) {
    failed++;
    step(`${part}: ${error.message}`);
    writeJson(part, { date: new Date().toISOString(), error: error.message });
  }
  writeReport(); // the report is current after every part
}
if (peer) {
  try {
    await peer();
  } catch (error) {
    failed++;
    step(`training (PyTorch peer): ${error.message}`);
  }
}
writeReport();
step(`report: ${REPORT}${failed ? ` (${failed} part(s) failed, see above)` : ''}`);

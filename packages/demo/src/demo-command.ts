/**
 * `npm run demo` (`ferry-demo`): the main job in one command. Finds the ants/bees photos and the
 * default backbone (mirror, cache or download), trains with the defaults, checks model.onnx,
 * prints the validation accuracy and report path, then serves the edge API and the web demo
 * until Ctrl-C (unless --no-serve).
 */
import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BackboneError,
  CliError,
  createReporter,
  DatasetError,
  ModelBuildError,
  ModelFileError,
  progressBar,
  RunDirError,
  resolveBackbone,
  TrainOptionsError,
  train,
} from '@ferry/trainer';
import { checkDataDir, DemoDataError, resolveDemoDataset } from './dataset.js';
import { startDemoServers } from './serve.js';

/** `npm run demo` runs in this package; INIT_CWD is the directory the user typed it in. */
const START_DIR = process.env.INIT_CWD || process.cwd();

export const usage = `Usage: ferry demo [options]     (npm run demo -- [options], or npx ferry-demo [options])

Trains an ants-vs-bees classifier with the defaults of \`ferry train\`, exports model.onnx,
prints the validation accuracy and the report path, then serves the edge API and the web demo
on localhost until Ctrl-C.

  --data DIR     your own folder-per-class photos instead of ants/bees
  --out RUN_DIR  run directory (default runs/demo in the directory you run it from); replaced only
                 once the new run is complete
  --no-serve     stop after training (scripts, CI)
  --workerd      serve the edge API from local workerd (the Workers build) instead of Node
  --port N       edge API port (default 8787; Node only, workerd picks a free one);
                 the web demo uses N+1
  -h, --help     this help

The ants/bees photos come from $FERRY_DATA_DIR/hymenoptera_data, else the cache
($FERRY_CACHE_DIR, default ~/.cache/ferry), else https://download.pytorch.org/tutorial/hymenoptera_data.zip.
The backbone comes from FERRY_MODELS_DIR, the cache, or its canonical URL.`;

interface DemoArgs {
  data?: string;
  out: string;
  serve: boolean;
  workerd: boolean;
  port: number;
}

export function parseDemoArgs(argv: string[]): DemoArgs {
  let values: ReturnType<typeof parse>['values'];
  function parse() {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        'no-serve': { type: 'boolean' },
        workerd: { type: 'boolean' },
        port: { type: 'string' },
      },
    });
  }
  try {
    values = parse().values;
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`);
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65534)
    throw new CliError(`--port expects an integer in 1..65534, got "${values.port}"`);
  return {
    ...(values.data ? { data: resolve(values.data) } : {}),
    out: resolve(START_DIR, values.out ?? 'runs/demo'),
    serve: !values['no-serve'],
    workerd: values.workerd ?? false,
    port,
  };
}

/** Moves a finished run into place; the previous run there is removed only after that. */
async function replaceRun(from: string, to: string): Promise<void> {
  const old = `${to}.old-${process.pid}`;
  const hadOld = existsSync(to);
  if (hadOld) await rename(to, old);
  try {
    await rename(from, to);
  } catch (error) {
    if (hadOld) await rename(old, to);
    throw error;
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}

const EXPECTED_ERRORS = [
  TrainOptionsError,
  DatasetError,
  BackboneError,
  RunDirError,
  ModelFileError,
  ModelBuildError,
  DemoDataError,
];

async function waitForInterrupt(): Promise<void> {
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function run(argv: string[]): Promise<number> {
  const args = parseDemoArgs(argv);
  const err = process.stderr;
  const say = (line: string) => err.write(`${line}\n`);
  const reporter = createReporter(false);
  const temp = join(dirname(args.out), `.${basename(args.out)}.${process.pid}.training`);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    say('interrupt: stopping after the current step (Ctrl-C again to quit now)');
    controller.abort();
  };
  let modelPath: string;
  try {
    let dataDir: string;
    if (args.data) {
      checkDataDir(args.data);
      dataDir = args.data;
    } else {
      const dataset = await resolveDemoDataset({ onProgress: progressBar(), log: say });
      dataDir = dataset.dir;
      say(`dataset: ${dataDir} (${dataset.source})`);
    }
    // Resolve the backbone here so a download shows a progress bar; train() then finds it cached.
    const backbone = await resolveBackbone(undefined, { onProgress: progressBar() });
    say(`backbone: ${backbone.id} (${backbone.modelJson})`);

    await rm(temp, { recursive: true, force: true });
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const result = await train({
      data: dataDir,
      out: temp,
      onProgress: (e) => reporter.event(e),
      signal: controller.signal,
    });
    reporter.finish();
    if (result.interrupted) {
      say('interrupted: nothing was replaced');
      return 130;
    }
    if (!result.onnxPath || !existsSync(join(temp, 'model.onnx'))) {
      throw new CliError(
        'training finished but model.onnx was not written (see the export warning above)',
        1,
      );
    }
    await replaceRun(temp, args.out);
    modelPath = join(args.out, 'model.onnx');
    const valCount = result.predictions.length;
    process.stdout.write(
      [
        `val accuracy ${result.valAccuracy.toFixed(4)} (${Math.round(result.valAccuracy * valCount)}/${valCount} val images, best epoch ${result.bestEpoch}, ${result.durationSeconds.toFixed(1)} s)`,
        `report: ${join(args.out, 'report.html')}`,
        `model:  ${modelPath} (${(statSync(modelPath).size / 1e6).toFixed(2)} MB)`,
        '',
      ].join('\n'),
    );
  } catch (error) {
    reporter.finish();
    if (EXPECTED_ERRORS.some((E) => error instanceof E)) throw new CliError((error as Error).message, 1);
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await rm(temp, { recursive: true, force: true });
  }
  if (!args.serve) return 0;

  // The train view's backbone, served by the demo so the page trains offline; without one the
  // page fetches the public copy itself.
  const backbone = await resolveBackbone(undefined).catch((error: unknown) => {
    say(`note: the train view will download its backbone itself (${(error as Error).message})`);
    return undefined;
  });
  let servers: Awaited<ReturnType<typeof startDemoServers>>;
  try {
    servers = await startDemoServers({
      modelPath,
      port: args.port,
      workerd: args.workerd,
      ...(backbone ? { backbone: { id: backbone.id, modelJson: backbone.modelJson } } : {}),
    });
  } catch (error) {
    throw new CliError((error as Error).message, 1);
  }
  process.stdout.write(
    [
      `edge API (${servers.runtime}): ${servers.apiUrl}  (POST an image to ${servers.apiUrl}/v1/classify)`,
      `web demo:          ${servers.pageUrl}`,
      `train in the page: ${servers.trainUrl}`,
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await waitForInterrupt();
  say('stopping the servers');
  await servers.stop();
  return 0;
}

/** Renders training events: a rewritten bar on a TTY, plain lines in logs, JSON lines with --json. */
import type { TrainEvent, TrainPhase } from '../train/options.js';

/** Epochs shorter than this print no rate: the head's epochs on cached features take ~1 ms. */
const MIN_RATE_SECONDS = 0.05;

export interface Reporter {
  event(e: TrainEvent): void;
  line(text: string): void;
  finish(): void;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60)}s` : `${s.toFixed(0)}s`;
}

/** Line prefix naming the phase of a two-phase (warm-started finetune) run. */
function phaseTag(phase: TrainPhase | undefined): string {
  return phase === 'warm-start' ? '[warm start] ' : phase === 'finetune' ? '[finetune] ' : '';
}

export function createReporter(json: boolean, stream: NodeJS.WriteStream = process.stderr): Reporter {
  const tty = !json && Boolean(stream.isTTY);
  let barShown = false;
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };
  const bar = (text: string) => {
    stream.write(`\r\x1b[2K${text}`);
    barShown = true;
  };
  const line = (text: string) => {
    if (json) {
      process.stdout.write(`${JSON.stringify({ type: 'log', message: text })}\n`);
      return;
    }
    clearBar();
    stream.write(`${text}\n`);
  };
  return {
    line,
    finish: clearBar,
    event(e) {
      if (json) {
        if (e.type !== 'batch') process.stdout.write(`${JSON.stringify(e)}\n`);
        return;
      }
      switch (e.type) {
        case 'start':
          line(
            `training ${e.mode} on ${e.backend}: ${e.labels.length} classes (${e.labels.join(', ')}), ${e.trainCount} train / ${e.valCount} val images`,
          );
          break;
        case 'log':
          line(e.message);
          break;
        case 'skip':
          line(`skipped ${e.path}: ${e.reason}`);
          break;
        case 'features':
          if (tty) {
            const f = e.done / Math.max(1, e.total);
            bar(
              `features [${'#'.repeat(Math.round(f * 30)).padEnd(30, '.')}] ${e.done}/${e.total} (${e.cached} cached)`,
            );
          }
          break;
        case 'phase':
          line(
            e.phase === 'warm-start'
              ? `phase ${e.index}/${e.phases} warm start: the head alone on cached backbone features (features mode, ${e.epochs} epochs)`
              : `phase ${e.index}/${e.phases} finetune: every layer from the warm head (${e.epochs} epochs)`,
          );
          break;
        case 'batch':
          if (tty)
            bar(
              `${phaseTag(e.phase)}epoch ${e.epoch}/${e.epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`,
            );
          break;
        case 'epoch':
          line(
            `${phaseTag(e.phase)}epoch ${String(e.epoch).padStart(3)}/${e.epochs}  train loss ${e.trainLoss.toFixed(4)} acc ${e.trainAccuracy.toFixed(4)}  val loss ${e.valLoss.toFixed(4)} acc ${e.valAccuracy.toFixed(4)}${e.best ? ' *' : '  '}  lr ${e.lr.toExponential(2)}  ${e.seconds >= MIN_RATE_SECONDS ? `${e.imagesPerSecond.toFixed(0)} img/s  ` : ''}ETA ${fmtTime(e.etaSeconds)}`,
          );
          break;
        case 'done':
          line(
            `done in ${e.durationSeconds.toFixed(1)} s: best val accuracy ${e.valAccuracy.toFixed(4)} at epoch ${e.bestEpoch}`,
          );
          break;
      }
    },
  };
}

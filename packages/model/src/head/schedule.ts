/** Learning-rate schedules as pure functions of the step, so resume and same-seed runs agree. */
export type ScheduleName = 'none' | 'step' | 'cosine' | 'onecycle';

export interface ScheduleOptions {
  name: ScheduleName;
  baseLr: number;
  totalSteps: number;
  /** StepLR: multiply by `gamma` every `stepSize` steps. */
  stepSize?: number;
  gamma?: number;
  /** One-cycle: fraction of steps spent warming up. */
  warmup?: number;
}

export function learningRateAt(step: number, o: ScheduleOptions): number {
  const total = Math.max(1, o.totalSteps);
  const t = Math.min(1, step / total);
  switch (o.name) {
    case 'none':
      return o.baseLr;
    case 'step':
      return (
        o.baseLr * (o.gamma ?? 0.1) ** Math.floor(step / Math.max(1, o.stepSize ?? Math.ceil(total / 3)))
      );
    case 'cosine':
      return o.baseLr * 0.5 * (1 + Math.cos(Math.PI * t));
    case 'onecycle': {
      // fastai/PyTorch one-cycle: cosine warm-up from lr/25 to lr, then cosine down to lr/1e4.
      const warm = o.warmup ?? 0.25;
      const start = o.baseLr / 25;
      const end = o.baseLr / 1e4;
      if (t < warm) return start + (o.baseLr - start) * 0.5 * (1 - Math.cos((Math.PI * t) / warm));
      const u = (t - warm) / (1 - warm);
      return end + (o.baseLr - end) * 0.5 * (1 + Math.cos(Math.PI * u));
    }
    default:
      throw new Error(`unknown schedule ${String(o.name)}`);
  }
}

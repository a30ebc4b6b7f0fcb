import { DB_DEFAULTS, DbOptions } from './db-postprocess';
import { SPACING_DEFAULTS, SpacingOptions } from './word-spacing';

/**
 * The pipeline's post-processing knobs in one place. One configuration serves receipts and forms
 * alike; the eval script overrides them to measure alternatives, the worker runs the defaults.
 */
export interface PipelineTuning {
  db: DbOptions;
  spacing: SpacingOptions;
  /** PaddleOCR's drop_score: lines recognised with less mean confidence are noise (stamps, smudges). */
  minLineConfidence: number;
}

export const PIPELINE_DEFAULTS: PipelineTuning = {
  db: DB_DEFAULTS,
  spacing: SPACING_DEFAULTS,
  minLineConfidence: 0.5,
};

/** Partial knobs, merged over the defaults group by group. */
export interface TuningOverrides {
  db?: Partial<DbOptions>;
  spacing?: Partial<SpacingOptions>;
  minLineConfidence?: number;
}

export function resolveTuning(overrides: TuningOverrides = {}): PipelineTuning {
  return {
    db: { ...PIPELINE_DEFAULTS.db, ...overrides.db },
    spacing: { ...PIPELINE_DEFAULTS.spacing, ...overrides.spacing },
    minLineConfidence: overrides.minLineConfidence ?? PIPELINE_DEFAULTS.minLineConfidence,
  };
}

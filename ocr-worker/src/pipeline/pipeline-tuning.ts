import { DB_DEFAULTS, DbOptions } from './db-postprocess';
import { SPACING_DEFAULTS, SpacingOptions } from './word-spacing';

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

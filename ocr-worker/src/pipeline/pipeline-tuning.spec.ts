import { PIPELINE_DEFAULTS, resolveTuning } from './pipeline-tuning';

describe(resolveTuning.name, () => {
  it('should answer the defaults when nothing is overridden', () => {
    expect(resolveTuning()).toEqual(PIPELINE_DEFAULTS);
  });

  it('should override single knobs and keep the rest of their group', () => {
    const tuning = resolveTuning({ db: { unclipRatio: 2 }, spacing: { minSpaceProbability: 0.1 } });
    expect(tuning.db).toEqual({ ...PIPELINE_DEFAULTS.db, unclipRatio: 2 });
    expect(tuning.spacing).toEqual({ ...PIPELINE_DEFAULTS.spacing, minSpaceProbability: 0.1 });
    expect(tuning.minLineConfidence).toBe(PIPELINE_DEFAULTS.minLineConfidence);
  });
});

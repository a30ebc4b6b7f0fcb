import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, Max, Min } from 'class-validator';
import { toBoolean, toLowerCase, toNumber } from './env-transforms';
import { validateEnvironment } from './validate-environment';

class Sample {
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10)
  COUNT = 5;

  @Transform(toBoolean)
  @IsBoolean()
  ENABLED = true;

  @Transform(toLowerCase)
  @IsIn(['a', 'b'])
  CHOICE = 'a';
}

describe(validateEnvironment.name, () => {
  it('should read numbers (scientific notation included), booleans and names the way both apps do', () => {
    const { vars, problems } = validateEnvironment(Sample, { COUNT: '1e1', ENABLED: 'off', CHOICE: ' B ' });
    expect(problems).toEqual([]);
    expect(vars).toMatchObject({ COUNT: 10, ENABLED: false, CHOICE: 'b' });
  });

  it('should take an unset or empty variable as its default', () => {
    const { vars, problems } = validateEnvironment(Sample, { COUNT: '', ENABLED: undefined });
    expect(problems).toEqual([]);
    expect(vars).toMatchObject({ COUNT: 5, ENABLED: true, CHOICE: 'a' });
  });

  it('should name each bad variable once, by its type before its range, never quoting its value', () => {
    const { problems } = validateEnvironment(Sample, { COUNT: '7x-secret', ENABLED: 'maybe', CHOICE: 'c' });
    expect(problems).toEqual([
      { variable: 'COUNT', message: 'COUNT must be an integer number' },
      { variable: 'ENABLED', message: 'ENABLED must be a boolean value' },
      { variable: 'CHOICE', message: expect.stringMatching(/^CHOICE must be one of/) },
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret');
    expect(validateEnvironment(Sample, { COUNT: '11' }).problems).toEqual([
      { variable: 'COUNT', message: 'COUNT must not be greater than 10' },
    ]);
  });
});

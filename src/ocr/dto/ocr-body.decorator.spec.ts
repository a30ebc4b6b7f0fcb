import { ApiError } from '../../common/errors/api-error';
import { ValidateBodyPipe } from './ocr-body.decorator';
import { OcrRequestDto } from './ocr-request.dto';

describe(ValidateBodyPipe.name, () => {
  const pipe = new ValidateBodyPipe();
  const validate = (value: unknown) => pipe.transform(value, { type: 'custom', metatype: OcrRequestDto });

  it('should turn a multipart form (a null-prototype object) into the DTO', async () => {
    const form = Object.assign(Object.create(null) as Record<string, string>, {
      mode: 'markdown',
      prompt: 'x',
    });
    await expect(validate(form)).resolves.toEqual(
      Object.assign(new OcrRequestDto(), { mode: 'markdown', prompt: 'x' }),
    );
  });

  it('should accept a missing body: the image check comes later and says what is missing', async () => {
    await expect(validate(undefined)).resolves.toBeInstanceOf(OcrRequestDto);
  });

  it('should refuse unknown fields and bad values with 400 validation_failed', async () => {
    const refusal = (await validate({ image: 'x', mode: 'pdf', extra: 1 }).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal.code).toBe('validation_failed');
    expect(refusal.message).toMatch(/mode must be one of/);
    expect(refusal.message).toMatch(/property extra should not exist/);
  });
});

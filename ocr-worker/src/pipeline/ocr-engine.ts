import type { OcrLine, OcrMode, QualityWarning, Quad } from '@app/contracts';
import * as ort from 'onnxruntime-node';
import { Charset, loadCharset } from '../models/dictionary';
import { ModelFiles, describeModels, resolveModelFiles } from '../models/model-files';
import { optimizingPreparer } from '../models/optimized-models';
import { Device, DeviceChoice, ModelPreparer, createSessions } from '../models/session-factory';
import { CLS_HEIGHT, CLS_WIDTH, upsideDownSuspects } from './classify';
import { cropSpanToQuad, cropTextLine, lineCropGeometry } from './crop';
import { TextBox, boxesFromProbabilityMap } from './db-postprocess';
import { measureQuality, qualityWarnings } from './image-quality';
import { RgbImage, decodeImage } from './decode';
import { detectText } from './detect';
import { joinText, readingOrder, toMarkdown } from './layout';
import { WorkerError } from '../common/errors/worker-error';
import { PageTurn, looksSideways, mostlyUpsideDown, quadToSent, turnImage } from './orientation';
import { PipelineTuning, TuningOverrides, resolveTuning } from './pipeline-tuning';
import { REC_HEIGHT, recognizeUpright } from './recognize';

export { PIPELINE_DEFAULTS, resolveTuning } from './pipeline-tuning';
export type { PipelineTuning, TuningOverrides } from './pipeline-tuning';

export interface EngineLogger {
  log(msg: string): void;
  warn(msg: string): void;
}

export interface EngineOptions {
  modelDir?: string;
  detModelPath?: string;
  recModelPath?: string;
  clsModelPath?: string;
  dictPath?: string;
  /** auto: CUDA when it loads, else the CPU (logged); cuda: fail to start without it. */
  device: DeviceChoice;
  intraOpThreads: number;
  /** Long-side limit of the detector's input (PaddleOCR's det_limit_side_len; 960 measured best here). */
  detLimitSideLen: number;
  useAngleCls: boolean;
  /**
   * Line crops per recognizer run (PaddleOCR's rec_batch_num), sorted by aspect ratio and padded
   * to the widest of each batch; 1 (the default) runs each crop alone.
   */
  recBatchSize?: number;
  /** Larger images are refused (image_too_large) from their header, before decoding. */
  maxPixels: number;
  logger?: EngineLogger;
  /**
   * Where the exact graph rewrites of the models are cached (see models/optimize-model.ts); set it
   * to run the rewritten models, leave it unset to run them as shipped.
   */
  optimizedModelDir?: string;
  /** Any other model preparation (takes precedence over optimizedModelDir). */
  prepareModel?: ModelPreparer;
  /** Post-processing knobs; the defaults are PaddleOCR's published ones plus measured spacing. */
  tuning?: TuningOverrides;
}

export interface StageTimings {
  decode: number;
  detect: number;
  postprocess: number;
  crop: number;
  classify: number;
  recognize: number;
  layout: number;
  quality: number;
  /** Turning a sideways page upright (0 for an upright page). */
  orient: number;
}

export interface EngineResult {
  text: string;
  lines: OcrLine[];
  markdown?: string;
  width: number;
  height: number;
  warnings: QualityWarning[];
  stageMs: StageTimings;
}

type Sessions = { det: ort.InferenceSession; rec: ort.InferenceSession; cls?: ort.InferenceSession };

/**
 * The OCR pipeline over one set of onnxruntime sessions: decode, DB detection, perspective crops,
 * optional 0/180 classification, CTC recognition, reading-order layout. One engine serves one
 * thread; `session.run` blocks its thread for the duration of an inference.
 */
export class OcrEngine {
  private closed = false;

  private constructor(
    private readonly sessions: Sessions,
    private readonly charset: Charset,
    private readonly options: EngineOptions,
    private readonly tuning: PipelineTuning,
    readonly device: Device,
    readonly model: string,
  ) {}

  static async create(options: EngineOptions): Promise<OcrEngine> {
    const files: ModelFiles = resolveModelFiles(options);
    const models = options.useAngleCls
      ? { det: files.det, rec: files.rec, cls: files.cls }
      : { det: files.det, rec: files.rec };
    const { device, sessions } = await createSessions<'det' | 'rec' | 'cls'>(
      models as Record<'det' | 'rec' | 'cls', string>,
      {
        device: options.device,
        intraOpThreads: options.intraOpThreads,
        prepare:
          options.prepareModel ??
          (options.optimizedModelDir
            ? optimizingPreparer(options.optimizedModelDir, options.logger)
            : undefined),
        logger: options.logger,
      },
    );
    const classCount = await warmUp(sessions);
    const charset = loadCharset(files.dict, classCount);
    const engine = new OcrEngine(
      sessions,
      charset,
      options,
      resolveTuning(options.tuning),
      device,
      describeModels(files, options.useAngleCls),
    );
    options.logger?.log(
      `OCR engine ready: ${engine.model} on ${device}, ${options.intraOpThreads} intra-op thread(s).`,
    );
    return engine;
  }

  async recognize(image: Buffer, mode: OcrMode): Promise<EngineResult> {
    if (this.closed) {
      throw new WorkerError('internal_error', 'The OCR engine is shut down.');
    }
    const stageMs: StageTimings = {
      decode: 0,
      detect: 0,
      postprocess: 0,
      crop: 0,
      classify: 0,
      recognize: 0,
      layout: 0,
      quality: 0,
      orient: 0,
    };
    const timed = async <T>(stage: keyof StageTimings, work: () => Promise<T> | T): Promise<T> => {
      const start = performance.now();
      try {
        return await work();
      } finally {
        stageMs[stage] += performance.now() - start;
      }
    };
    const decoded = await timed('decode', () => decodeImage(image, this.options.maxPixels));
    try {
      const detect = async (page: RgbImage): Promise<TextBox[]> => {
        const map = await timed('detect', () => detectText(this.sessions.det, page, this.options.detLimitSideLen));
        return timed('postprocess', () => boxesFromProbabilityMap(map, page.width, page.height, this.tuning.db));
      };
      // The page is read in `work`, the image as sent turned `turn` degrees clockwise. An upright
      // page is detected once; a sideways one (its lines stand tall) or an upside-down one (the
      // angle classifier's vote over its lines) is turned and detected again.
      let turn: PageTurn = 0;
      let work = decoded;
      let boxes = await detect(decoded);
      if (looksSideways(boxes.map((b) => b.quad))) {
        turn = 270;
        work = await timed('orient', () => turnImage(decoded, 270));
        boxes = await detect(work);
      }
      const cropAll = (page: RgbImage, quads: readonly TextBox[]): Promise<RgbImage[]> =>
        timed('crop', () => quads.map((b) => cropTextLine(page, b.quad, REC_HEIGHT)));
      let crops = await cropAll(work, boxes);
      const cls = this.sessions.cls;
      let suspects = cls ? await timed('classify', () => upsideDownSuspects(cls, crops)) : [];
      if (mostlyUpsideDown(suspects)) {
        // Most lines lie upside down (or the sideways page was turned the wrong way round): the
        // page is read turned half round, detected again there so its boxes are the upright ones.
        turn = ((turn + 180) % 360) as PageTurn;
        const unturned = work;
        work = await timed('orient', () => turnImage(unturned, 180));
        boxes = await detect(work);
        crops = await cropAll(work, boxes);
        suspects = cls ? await timed('classify', () => upsideDownSuspects(cls, crops)) : [];
      }
      const lines: OcrLine[] = [];
      let turned = 0;
      await timed('recognize', async () => {
        const reads = await recognizeUpright(
          this.sessions.rec,
          crops,
          suspects,
          this.options.recBatchSize ?? 1,
          this.charset,
          this.tuning.spacing,
        );
        for (const [i, read] of reads.entries()) {
          turned += read.turned ? 1 : 0;
          if (read.text.length > 0 && read.confidence >= this.tuning.minLineConfidence) {
            const geometry = lineCropGeometry(boxes[i].quad, REC_HEIGHT);
            lines.push({
              text: read.text,
              confidence: roundConfidence(read.confidence),
              box: boxes[i].quad,
              words: read.words.map((w) => ({
                text: w.text,
                confidence: roundConfidence(w.confidence),
                box: roundQuad(cropSpanToQuad(geometry, w.span.from, w.span.to)),
              })),
            });
          }
        }
      });
      const upsideDown = turned * 2 > crops.length;
      const warnings = await timed('quality', () => qualityWarnings(measureQuality(work, lines)));
      if (turn !== 0 || upsideDown) {
        warnings.push('rotated');
      }
      return await timed('layout', () => {
        const ordered = readingOrder(lines, upsideDown ? work : undefined).map((line) =>
          lineToSent(line, turn, decoded),
        );
        const result: EngineResult = {
          text: joinText(ordered),
          lines: ordered,
          width: decoded.width,
          height: decoded.height,
          warnings,
          stageMs,
        };
        if (mode === 'markdown') {
          result.markdown = toMarkdown(ordered);
        }
        return result;
      });
    } catch (error) {
      throw WorkerError.from(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await Promise.all(Object.values(this.sessions).map((s: ort.InferenceSession) => s.release()));
  }
}

/** A line read in the turned page, with its box and its words' boxes in the image as sent. */
function lineToSent(line: OcrLine, turn: PageTurn, sent: RgbImage): OcrLine {
  if (turn === 0) {
    return line;
  }
  return {
    ...line,
    box: quadToSent(line.box, turn, sent),
    words: line.words.map((w) => ({ ...w, box: quadToSent(w.box, turn, sent) })),
  };
}

function roundConfidence(p: number): number {
  return Math.round(p * 1e4) / 1e4;
}

/** Whole pixels, as line boxes have. */
function roundQuad(quad: Quad): Quad {
  return quad.map(([x, y]) => [Math.round(x), Math.round(y)]) as Quad;
}

/**
 * One tiny run per model: the first inference allocates its buffers, which should not land on the
 * first request. The recognizer's class count checks the dictionary against the model.
 */
async function warmUp(sessions: Sessions): Promise<number> {
  const zeros = (session: ort.InferenceSession, shape: number[]): Record<string, ort.Tensor> => ({
    [session.inputNames[0]]: new ort.Tensor(
      'float32',
      new Float32Array(shape.reduce((a, b) => a * b)),
      shape,
    ),
  });
  await sessions.det.run(zeros(sessions.det, [1, 3, 32, 32]));
  await sessions.cls?.run(zeros(sessions.cls, [1, 3, CLS_HEIGHT, CLS_WIDTH]));
  const rec = await sessions.rec.run(zeros(sessions.rec, [1, 3, REC_HEIGHT, 32]));
  return rec[sessions.rec.outputNames[0]].dims[2];
}

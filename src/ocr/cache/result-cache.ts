import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { OcrMode, RecognizeResult } from '@app/contracts';

export interface ResultCacheOptions {
  /** Upper bound of the in-memory cache, in bytes of serialised results; 0 disables caching. */
  maxBytes: number;
  ttlMs: number;
}

/** A second level shared by gateway processes (Redis); optional. */
export interface SharedResultStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/**
 * OCR results by image content, partitioned per key lineage: a key can only ever hit entries its
 * own lineage wrote, so one client's requests reveal nothing (by content or by latency) about
 * another's. The model version is part of the key, so a model upgrade never serves stale text.
 */
export class ResultCache {
  private readonly memory: LRUCache<string, string> | undefined;

  constructor(
    private readonly options: ResultCacheOptions,
    private readonly shared?: SharedResultStore,
  ) {
    this.memory =
      options.maxBytes > 0
        ? new LRUCache<string, string>({
            maxSize: options.maxBytes,
            // A JS string costs about two bytes a character; the key is small next to the value.
            sizeCalculation: (value, key) => 2 * (value.length + key.length),
            ttl: options.ttlMs,
          })
        : undefined;
  }

  get enabled(): boolean {
    return this.memory !== undefined;
  }

  async get(
    lineageId: string,
    sha256: string,
    mode: OcrMode,
    model: string,
  ): Promise<RecognizeResult | undefined> {
    if (!this.memory) {
      return undefined;
    }
    const key = cacheKey(lineageId, sha256, mode, model);
    let raw = this.memory.get(key);
    if (raw === undefined && this.shared) {
      raw = (await this.shared.get(key)) ?? undefined;
      if (raw !== undefined) {
        this.memory.set(key, raw);
      }
    }
    return raw === undefined ? undefined : (JSON.parse(raw) as RecognizeResult);
  }

  async set(lineageId: string, sha256: string, mode: OcrMode, result: RecognizeResult): Promise<void> {
    if (!this.memory) {
      return;
    }
    const key = cacheKey(lineageId, sha256, mode, result.model);
    const raw = JSON.stringify(result);
    this.memory.set(key, raw);
    await this.shared?.set(key, raw, this.options.ttlMs);
  }
}

/**
 * The shape of the results stored here. Bumped whenever a result gains or changes a field
 * (2: lines carry `words`; 3: results carry `warnings`), so an entry written by an older gateway is never served as a new one.
 */
export const RESULT_SHAPE_VERSION = 3;

/** Hashing the parts keeps key ids and model names out of Redis key names and bounds their length. */
function cacheKey(lineageId: string, sha256: string, mode: OcrMode, model: string): string {
  const digest = createHash('sha256')
    .update(`${RESULT_SHAPE_VERSION}\0${lineageId}\0${mode}\0${model}\0${sha256}`)
    .digest('base64url');
  return `ocr:result:${digest}`;
}

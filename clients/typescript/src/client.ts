import {
  OcrApiError,
  OcrNetworkError,
  OcrTimeoutError,
  rateLimitOf,
  type ErrorCode,
  type RateLimitState,
} from './errors';
import type { components, operations } from './openapi';

type Schemas = components['schemas'];
type JsonBody<O extends keyof operations> = operations[O] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type OcrMode = NonNullable<Schemas['OcrRequestDto']['mode']>;
export type OcrResult = Schemas['OcrResultDto'];
export type OcrLine = Schemas['OcrLineDto'];
export type OcrBatchResponse = Schemas['OcrBatchResponseDto'];
export type Usage = Schemas['UsageResponseDto'];
export type Health = Schemas['HealthDto'];
export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];
export type ApiKeyUsage = Schemas['ApiKeyUsageDto'];
export type CreateKeyRequest = JsonBody<'createKey'>;
export type UpdateKeyRequest = JsonBody<'updateKey'>;
export type CreateTokenRequest = JsonBody<'createToken'>;
export type CreatedToken = Schemas['CreatedTokenDto'];

/**
 * An image: a string is sent as is in JSON (an https URL the server fetches, a data: URI or bare
 * base64); bytes are uploaded as multipart/form-data, or as base64 JSON with `upload: 'base64'`.
 */
export type ImageInput = string | Blob | ArrayBuffer | Uint8Array;

export interface OcrClientOptions {
  /** The gateway, e.g. `https://ocr.example.com` (no trailing path needed). */
  baseUrl: string;
  /** `ocr_<id>_<secret>`, sent as `X-API-Key`; or a short-lived `ocrt_…` token, sent as a bearer token. */
  apiKey: string;
  /** Per attempt; default 70 s (the server's own OCR_TIMEOUT_MS is 60 s by default). */
  timeoutMs?: number;
  /** Retries after a 429 or 503 (never another status); default 2. */
  maxRetries?: number;
  /** First backoff when the answer has no Retry-After; doubled each retry, with jitter. Default 500 ms. */
  retryDelayMs?: number;
  /** A Retry-After longer than this (a used-up daily quota) is thrown at once. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Another fetch (tests, instrumentation); default the global one. */
  fetch?: typeof fetch;
  /** Called with every answer, retried ones included. */
  onResponse?: (info: ResponseInfo) => void;
}

export interface ResponseInfo {
  method: string;
  path: string;
  status: number;
  requestId?: string;
  rateLimit: RateLimitState;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface RecognizeOptions extends RequestOptions {
  mode?: OcrMode;
  /** DeepSeek-OCR-style prompt, used by the server only when `mode` is absent. */
  prompt?: string;
  /** How bytes travel: `multipart` (default) or `base64` inside JSON. */
  upload?: 'multipart' | 'base64';
}

export interface BatchImage {
  image: ImageInput;
  id?: string;
}

const RETRIED_STATUSES = new Set([429, 503]);

/**
 * The Secure OCR API over fetch, with no other dependency. Every method resolves with the parsed
 * answer or rejects with OcrApiError (the contract's code), OcrTimeoutError or OcrNetworkError.
 */
export class OcrClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  /** The admin endpoints (a key with the `admin` scope). */
  readonly keys = {
    create: (body: CreateKeyRequest, options?: RequestOptions): Promise<CreatedApiKey> =>
      this.request('POST', '/admin/v1/keys', { json: body }, options),
    list: async (options?: RequestOptions): Promise<ApiKey[]> =>
      (await this.request<Schemas['ApiKeyListDto']>('GET', '/admin/v1/keys', {}, options)).items,
    get: (id: string, options?: RequestOptions): Promise<ApiKey> =>
      this.request('GET', `/admin/v1/keys/${encodeURIComponent(id)}`, {}, options),
    update: (id: string, body: UpdateKeyRequest, options?: RequestOptions): Promise<ApiKey> =>
      this.request('PATCH', `/admin/v1/keys/${encodeURIComponent(id)}`, { json: body }, options),
    rotate: (id: string, graceSeconds?: number, options?: RequestOptions): Promise<CreatedApiKey> =>
      this.request(
        'POST',
        `/admin/v1/keys/${encodeURIComponent(id)}/rotate`,
        { json: graceSeconds === undefined ? {} : { graceSeconds } },
        options,
      ),
    revoke: (id: string, options?: RequestOptions): Promise<void> =>
      this.request('DELETE', `/admin/v1/keys/${encodeURIComponent(id)}`, {}, options),
    usage: (id: string, days?: number, options?: RequestOptions): Promise<ApiKeyUsage> =>
      this.request('GET', `/admin/v1/keys/${encodeURIComponent(id)}/usage${query({ days })}`, {}, options),
  };

  constructor(private readonly options: OcrClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** `POST /api/v1/ocr`: the text, lines and boxes of one image. */
  async recognize(image: ImageInput, options: RecognizeOptions = {}): Promise<OcrResult> {
    const fields = {
      ...(options.mode && { mode: options.mode }),
      ...(options.prompt && { prompt: options.prompt }),
    };
    if (typeof image === 'string' || options.upload === 'base64') {
      return this.request(
        'POST',
        '/api/v1/ocr',
        { json: { image: await asText(image), ...fields } },
        options,
      );
    }
    const form = (): FormData => {
      const data = new FormData();
      data.append('image', asBlob(image), 'image');
      for (const [name, value] of Object.entries(fields)) {
        data.append(name, value);
      }
      return data;
    };
    return this.request('POST', '/api/v1/ocr', { form }, options);
  }

  /** `POST /api/v1/ocr/batch`: one result or one error per image, in order; bytes go as base64. */
  async recognizeBatch(
    images: BatchImage[],
    options: RequestOptions & { mode?: OcrMode } = {},
  ): Promise<OcrBatchResponse> {
    const items = await Promise.all(
      images.map(async ({ image, id }) => ({ image: await asText(image), ...(id !== undefined && { id }) })),
    );
    const json: JsonBody<'recognizeBatch'> = { images: items, ...(options.mode && { mode: options.mode }) };
    return this.request('POST', '/api/v1/ocr/batch', { json }, options);
  }

  /** `GET /api/v1/usage`: the calling key's usage today, with `days` of history. */
  getUsage(days?: number, options?: RequestOptions): Promise<Usage> {
    return this.request('GET', `/api/v1/usage${query({ days })}`, {}, options);
  }

  /**
   * `POST /api/v1/tokens` (a key with the `tokens` scope, on your backend): a short-lived token for a
   * browser or phone, to be used as `new OcrClient({ apiKey: token })` there.
   */
  createToken(request: CreateTokenRequest = {}, options?: RequestOptions): Promise<CreatedToken> {
    return this.request('POST', '/api/v1/tokens', { json: request }, options);
  }

  /** `GET /health`: 200 and 503 both answer the checks (`status: "error"` names the failing one). */
  async getHealth(options: RequestOptions = {}): Promise<Health> {
    const response = await this.attempt('GET', '/health', {}, options.signal);
    return (await parse(response)) as Health;
  }

  private async request<T>(
    method: string,
    path: string,
    body: { json?: unknown; form?: () => FormData; retry?: boolean },
    options: RequestOptions = {},
  ): Promise<T> {
    const maxRetries = body.retry === false ? 0 : (this.options.maxRetries ?? 2);
    for (let attempt = 0; ; attempt++) {
      const response = await this.attempt(method, path, body, options.signal);
      const requestId = response.headers.get('X-Request-Id') ?? undefined;
      const rateLimit = rateLimitOf(response.headers);
      this.options.onResponse?.({ method, path, status: response.status, requestId, rateLimit });
      if (response.ok) {
        return (response.status === 204 ? undefined : await parse(response)) as T;
      }
      const error = await toApiError(response, requestId, rateLimit);
      const delay = this.retryDelay(error, attempt, maxRetries);
      if (delay === undefined) {
        throw error;
      }
      await sleep(delay, options.signal);
    }
  }

  /** Milliseconds before the next attempt, or undefined when this error is final. */
  private retryDelay(error: OcrApiError, attempt: number, maxRetries: number): number | undefined {
    if (!RETRIED_STATUSES.has(error.status) || attempt >= maxRetries) {
      return undefined;
    }
    const max = this.options.maxRetryDelayMs ?? 30_000;
    if (error.retryAfter !== undefined) {
      const wait = error.retryAfter * 1000;
      return wait > max ? undefined : wait;
    }
    const base = (this.options.retryDelayMs ?? 500) * 2 ** attempt;
    return Math.min(max, base / 2 + Math.random() * (base / 2));
  }

  private async attempt(
    method: string,
    path: string,
    body: { json?: unknown; form?: () => FormData },
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const timeoutMs = this.options.timeoutMs ?? 70_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const forward = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    const credential: Record<string, string> = this.options.apiKey.startsWith('ocrt_')
      ? { Authorization: `Bearer ${this.options.apiKey}` }
      : { 'X-API-Key': this.options.apiKey };
    const headers: Record<string, string> = { ...credential, Accept: 'application/json' };
    if (body.json !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    try {
      const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body.json !== undefined ? JSON.stringify(body.json) : body.form?.(),
        signal: controller.signal,
      });
      // The body is read inside the timeout too: a stalled answer is a timeout, not a hang.
      const bytes = await response.arrayBuffer();
      return new Response(response.status === 204 ? null : bytes, {
        status: response.status,
        headers: response.headers,
      });
    } catch (error) {
      if (signal?.aborted) {
        throw signal.reason;
      }
      if (controller.signal.aborted) {
        throw new OcrTimeoutError(timeoutMs);
      }
      throw new OcrNetworkError(`The OCR API at ${this.baseUrl} could not be reached.`, { cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OcrNetworkError(`The answer (${response.status}) is not JSON: is baseUrl the OCR API?`, {
      cause: error,
    });
  }
}

async function toApiError(
  response: Response,
  requestId: string | undefined,
  rateLimit: RateLimitState,
): Promise<OcrApiError> {
  const retryAfter = Number(response.headers.get('Retry-After') ?? '');
  let detail: { code?: ErrorCode; message?: string; requestId?: string } = {};
  try {
    detail = ((await response.json()) as { error?: typeof detail }).error ?? {};
  } catch {
    // Not the API's shape (a proxy's page): the status still says what happened.
  }
  return new OcrApiError(
    response.status,
    detail.code ?? (response.status >= 500 ? 'internal_error' : 'validation_failed'),
    detail.message ?? `The OCR API answered ${response.status}.`,
    detail.requestId ?? requestId,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    rateLimit,
  );
}

function query(params: Record<string, number | undefined>): string {
  const entries = Object.entries(params).filter((entry): entry is [string, number] => entry[1] !== undefined);
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

function asBlob(image: Blob | ArrayBuffer | Uint8Array): Blob {
  return image instanceof Blob ? image : new Blob([image instanceof Uint8Array ? image.slice() : image]);
}

async function asText(image: ImageInput): Promise<string> {
  if (typeof image === 'string') {
    return image;
  }
  const bytes = new Uint8Array(image instanceof Blob ? await image.arrayBuffer() : image);
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('The request was aborted.'));
      },
      { once: true },
    );
  });
}

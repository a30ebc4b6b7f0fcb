import { Inject, Injectable, Optional } from '@nestjs/common';
import { ImageBytes, OcrInput } from './image-bytes';
import { inspectImage, inspectInput } from './image-inspector';
import { ImageInputErrors } from './image-input.errors';
import { HOST_RESOLVER, IMAGE_INPUT_OPTIONS, ImageInputOptions } from './image-input.options';
import { parseImageSource } from './inline-image';
import { HostResolver, systemResolver } from './url-guard';
import { UrlFetcher } from './url-fetcher';

/** What the multipart parser hands over; only the bytes are believed. */
export interface UploadedImage {
  readonly buffer: Buffer;
  readonly mimetype?: string;
}

/**
 * Turns what a client sends into validated image (or PDF) bytes: the JSON `image` field (bare base64, a
 * data: URI, or an https URL fetched under the SSRF rules) or a multipart upload. Every refusal
 * is an `ApiError` with the contract's code; nothing here decodes pixels.
 */
@Injectable()
export class ImageInputService {
  private readonly fetcher: UrlFetcher;

  constructor(
    @Inject(IMAGE_INPUT_OPTIONS) private readonly options: ImageInputOptions,
    @Optional() @Inject(HOST_RESOLVER) resolver?: HostResolver,
  ) {
    this.fetcher = new UrlFetcher(options.url, options.maxBodyBytes, resolver ?? systemResolver);
  }

  /**
   * `signal` cancels a URL fetch (e.g. when the client goes away or the request's deadline
   * passes); its reason is rethrown unchanged.
   */
  async resolve(source: string, signal?: AbortSignal): Promise<ImageBytes> {
    return inspectImage(await this.bytesOf(source, signal), this.options.maxImagePixels);
  }

  /** The declared `mimetype` is ignored: the format is sniffed from the bytes. */
  async fromUpload(file: UploadedImage): Promise<ImageBytes> {
    return inspectImage(this.uploaded(file), this.options.maxImagePixels);
  }

  /** As `resolve`, and a PDF is taken too (`POST /api/v1/ocr`). */
  async resolveInput(source: string, signal?: AbortSignal): Promise<OcrInput> {
    return inspectInput(await this.bytesOf(source, signal), this.options.maxImagePixels, true);
  }

  /** As `fromUpload`, and a PDF is taken too. */
  async inputFromUpload(file: UploadedImage): Promise<OcrInput> {
    return inspectInput(this.uploaded(file), this.options.maxImagePixels, true);
  }

  private async bytesOf(source: string, signal?: AbortSignal): Promise<Buffer> {
    const parsed = parseImageSource(source, this.options.maxBodyBytes);
    return parsed.kind === 'url' ? this.fetcher.fetch(parsed.url, signal) : parsed.bytes;
  }

  private uploaded(file: UploadedImage): Buffer {
    if (file.buffer.length > this.options.maxBodyBytes) {
      throw ImageInputErrors.payloadTooLarge(this.options.maxBodyBytes);
    }
    return file.buffer;
  }
}

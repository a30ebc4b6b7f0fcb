import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, map } from 'rxjs';
import type { OcrDocumentResultDto } from '../dto/ocr-document-result.dto';
import type { OcrResultDto } from '../dto/ocr-result.dto';
import { renderAlto } from './alto.renderer';
import { renderHocr } from './hocr.renderer';
import { DOCUMENT_CONTENT_TYPES, OcrFormat, resolveOcrFormat } from './ocr-format';

type OcrAnswer = OcrResultDto | OcrDocumentResultDto;

const RENDERERS: Readonly<Record<Exclude<OcrFormat, 'json'>, (result: OcrAnswer) => string>> = {
  hocr: renderHocr,
  alto: renderAlto,
};

/**
 * Answers `POST /api/v1/ocr` in the `format` the request asked for. Rendering happens here, per
 * answer, from the JSON result the service returns (and the cache keeps): one cached result
 * serves every format; a PDF's pages become the document's pages. Errors never reach this point, so they keep the contract's JSON shape.
 * The body was validated before the handler ran, so its `format` is one of OCR_FORMATS or absent.
 */
@Injectable()
export class ResultFormatInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<OcrAnswer>): Observable<OcrAnswer | string> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    return next.handle().pipe(
      map((result) => {
        const format = resolveOcrFormat((request.body as { format?: OcrFormat | null } | undefined)?.format);
        if (format === 'json') {
          return result;
        }
        http.getResponse<Response>().setHeader('Content-Type', DOCUMENT_CONTENT_TYPES[format]);
        return RENDERERS[format](result);
      }),
    );
  }
}

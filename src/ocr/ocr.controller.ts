import { Body, Controller, HttpCode, HttpStatus, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { CurrentKey } from '../auth/current-key.decorator';
import { Scopes } from '../api-keys/scopes.decorator';
import { ReadsBody } from '../common/body/reads-body';
import { ApiErrorResponses } from '../common/decorators/api-error-responses.decorator';
import { RateLimitHeadersInterceptor } from '../rate-limit/rate-limit-headers.interceptor';
import { RequestLedger } from '../usage/request-ledger';
import type { UsageLedger } from '../usage/usage-ledger';
import { UsageSettlementInterceptor } from '../usage/usage-settlement.interceptor';
import {
  OcrBatchFailureDto,
  OcrBatchRequestDto,
  OcrBatchResponseDto,
  OcrBatchSuccessDto,
} from './dto/ocr-batch.dto';
import { JsonOrFormBody, ValidateBodyPipe } from './dto/ocr-body.decorator';
import { OcrRequestDto, OcrUploadDto } from './dto/ocr-request.dto';
import { OcrDocumentResultDto, OcrPageDto } from './dto/ocr-document-result.dto';
import { OcrResultDto } from './dto/ocr-result.dto';
import { DOCUMENT_CONTENT_TYPES } from './formats/ocr-format';
import { ResultFormatInterceptor } from './formats/result-format.interceptor';
import { imageSourceOf } from './image-source';
import { OcrMetricsInterceptor } from './metrics/ocr-metrics.interceptor';
import { resolveOcrMode } from './ocr-mode';
import { OcrBatchService } from './ocr-batch.service';
import { OcrService } from './ocr.service';
import { CurrentOcrCall, type OcrCall } from './ocr-call.decorator';
import { ImageUploadInterceptor } from './upload/image-upload.interceptor';

const ACCOUNTING =
  'Costs one unit of the daily quota per image whose result is delivered (a cache hit included); refused ' +
  'requests, failed images and answers the client did not wait for cost nothing.';

@ApiTags('ocr')
@ApiExtraModels(
  OcrRequestDto,
  OcrUploadDto,
  OcrResultDto,
  OcrDocumentResultDto,
  OcrPageDto,
  OcrBatchSuccessDto,
  OcrBatchFailureDto,
)
@Controller('api/v1/ocr')
// RateLimitHeadersInterceptor first (outermost): the quota headers then tell the state after the
// reservations and refunds that UsageSettlementInterceptor's ledger recorded.
@UseInterceptors(RateLimitHeadersInterceptor, UsageSettlementInterceptor, OcrMetricsInterceptor)
export class OcrController {
  constructor(
    private readonly ocr: OcrService,
    private readonly batch: OcrBatchService,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @Scopes('ocr')
  @ReadsBody('image', { multipart: true })
  @UseInterceptors(ImageUploadInterceptor, ResultFormatInterceptor)
  @ApiOperation({
    operationId: 'recognize',
    summary: 'Recognise the text of one image, or read a PDF page by page',
    description:
      'Send the image as JSON (`image`: an https URL, a data: URI or bare base64) or as multipart/form-data with a ' +
      'file field `image`; `mode` and `prompt` may accompany either. The result always has `text` and `lines`; ' +
      '`mode: "markdown"` (or a prompt that mentions markdown, when `mode` is absent) adds `markdown`; every line ' +
      'carries its `words` with boxes. `format: "hocr"` or `"alto"` answers the same result as an hOCR or ALTO ' +
      'document instead of JSON. ' +
      `${ACCOUNTING} The same image sent again by the same key (or a key rotated from it) with the same mode is ` +
      'answered from cache (`cached: true`) in milliseconds.\n\n' +
      '**A PDF** (an addition to the original contract) is taken wherever an image is (sniffed from its bytes, ' +
      '`%PDF-`). It is answered with `pages` (one entry per page read, each with `page`, `width`, `height`, `text`, ' +
      '`lines` with words, and `source`) and `text` (the pages joined by a blank line). A page with a text layer is ' +
      'read from it (`source: "text-layer"`: exact, no recognition) unless `ocr: "always"`; a scanned page is rendered ' +
      'and recognised (`source: "ocr"`). `pages` chooses pages (`"1-3,7"`); at most PDF_MAX_PAGES (default 20) per ' +
      'request (`413 too_many_pages`). A damaged PDF, or one locked with a password, is `422 invalid_document`. ' +
      'Costs one unit of quota per page read, reserved when the page count is known and given back for pages that ' +
      'produce no result; PDF results are not cached. `format: "hocr"` or `"alto"` renders one page per PDF page.',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: getSchemaPath(OcrRequestDto) },
          examples: {
            url: { summary: 'An https URL', value: { image: 'https://images.example.com/receipt.jpg' } },
            dataUri: {
              summary: 'A data: URI, markdown mode',
              value: { image: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA…', mode: 'markdown' },
            },
            pdf: {
              summary: 'A PDF, pages 1 to 3 and 7, every page recognised',
              value: { image: 'data:application/pdf;base64,JVBERi0xLjcK…', pages: '1-3,7', ocr: 'always' },
            },
            prompt: {
              summary: 'Bare base64 with a DeepSeek-OCR-style prompt',
              value: {
                image: 'iVBORw0KGgoAAAANSUhEUgAA…',
                prompt: '<image>\nConvert the document to markdown.',
              },
            },
          },
        },
        'multipart/form-data': {
          schema: { $ref: getSchemaPath(OcrUploadDto) },
          encoding: {
            image: {
              contentType: 'image/jpeg, image/png, image/webp, image/tiff, image/gif, application/pdf',
            },
          },
        },
      },
    },
  })
  @ApiOkResponse({
    description:
      'The text of the image: `text`, `lines` with boxes and words, and `markdown` in markdown mode; for a PDF, ' +
      '`pages` (OcrDocumentResultDto); with `format: "hocr"` or `"alto"`, the same result as that document.',
    content: {
      'application/json': {
        schema: {
          oneOf: [{ $ref: getSchemaPath(OcrResultDto) }, { $ref: getSchemaPath(OcrDocumentResultDto) }],
        },
      },
      [DOCUMENT_CONTENT_TYPES.hocr.split(';')[0]]: {
        schema: { type: 'string', description: 'hOCR 1.2 (XHTML), with `format: "hocr"`.' },
      },
      [DOCUMENT_CONTENT_TYPES.alto.split(';')[0]]: {
        schema: { type: 'string', description: 'ALTO 4.4 XML, with `format: "alto"`.' },
      },
    },
  })
  @ApiErrorResponses(
    'validation_failed',
    'payload_too_large',
    'image_too_large',
    'unsupported_media_type',
    'invalid_image',
    'invalid_document',
    'too_many_pages',
    'url_not_allowed',
    'fetch_failed',
    'rate_limited',
    'quota_exceeded',
    'internal_error',
    'worker_unavailable',
    'worker_overloaded',
    'timeout',
  )
  recognize(
    @CurrentKey() key: AuthenticatedKey,
    @JsonOrFormBody(ValidateBodyPipe) body: OcrRequestDto,
    @UploadedFile() file: Express.Multer.File | undefined,
    @CurrentOcrCall() call: OcrCall,
    @RequestLedger() ledger: UsageLedger,
  ): Promise<OcrResultDto | OcrDocumentResultDto> {
    // ResultFormatInterceptor renders the result in the format the body asks for.
    return this.ocr.recognize(
      key,
      imageSourceOf(body.image, file),
      resolveOcrMode(body.mode, body.prompt),
      call,
      ledger,
      { pages: body.pages, ocr: body.ocr },
    );
  }

  @Post('batch')
  @HttpCode(HttpStatus.OK)
  @Scopes('ocr')
  @ReadsBody('image')
  @ApiOperation({
    operationId: 'recognizeBatch',
    summary: 'Recognise up to BATCH_MAX (16) images',
    description:
      'Each image is handled on its own and answered in order, as `{"id"?, "result"}` or `{"id"?, "error": ' +
      '{"code", "message", "retryAfter"?}}` with the codes `POST /api/v1/ocr` would answer; `id` echoes the ' +
      'item’s own `id`. The request fails as a whole (4xx) only when it is malformed. Quota is taken in item ' +
      'order: when it runs out, that item and the later ones answer `quota_exceeded`. ' +
      `${ACCOUNTING} The whole JSON body is limited to MAX_BODY_BYTES (16 MiB).`,
  })
  @ApiOkResponse({
    type: OcrBatchResponseDto,
    description: 'One result or one error per image, in the order sent.',
  })
  @ApiErrorResponses('validation_failed', 'payload_too_large', 'rate_limited', 'internal_error')
  recognizeBatch(
    @CurrentKey() key: AuthenticatedKey,
    @Body() body: OcrBatchRequestDto,
    @CurrentOcrCall() call: OcrCall,
    @RequestLedger() ledger: UsageLedger,
  ): Promise<OcrBatchResponseDto> {
    return this.batch.recognize(key, body, call, ledger);
  }
}

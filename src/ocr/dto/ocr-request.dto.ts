import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { DOCUMENT_OCR_POLICIES, type DocumentOcrPolicy } from '@app/contracts';
import { MAX_PAGES_FIELD_LENGTH } from '../document/page-selection';
import { OCR_FORMATS, type OcrFormat } from '../formats/ocr-format';
import { OCR_MODES, type OcrMode } from '../ocr-mode';

export const MAX_PROMPT_LENGTH = 2000;

// Defaults are in words: openapi-typescript makes a property with a `default` required.
const MODE_DESCRIPTION =
  'What to return. Every result has `text` and `lines`; `markdown` adds `markdown` (lines grouped into ' +
  'paragraphs and simple columns). Default `text`. Wins over `prompt` when both are sent.';
const PROMPT_DESCRIPTION =
  'For clients of DeepSeek-OCR-style servers: used only when `mode` is absent. A prompt that mentions ' +
  'markdown selects `markdown`, any other prompt selects `text`. It is not passed to the model.';

const FORMAT_DESCRIPTION =
  'How to answer (an addition to the original contract). `json` (default): the result below. `hocr`: the same ' +
  'result as an hOCR 1.2 document (`text/vnd.hocr+html`: `ocr_page`, `ocr_line`, `ocrx_word` with `bbox` and ' +
  '`x_wconf`). `alto`: ALTO 4.4 XML (`application/alto+xml`: Page, PrintSpace, TextBlock, TextLine, String with ' +
  'HPOS, VPOS, WIDTH, HEIGHT, WC and CONTENT, SP between words). Positions are in pixels of the image as sent; ' +
  'both formats know only upright rectangles, so a tilted box becomes the rectangle around it. Errors are ' +
  'always JSON. A cached result is rendered in any format (the cache keeps the JSON).';

const PAGES_DESCRIPTION =
  'PDF only (ignored for an image; an addition to the original contract): the pages to read, 1-based, as page numbers ' +
  'and ranges: `"1-3,7"`, `"5-"` (page 5 to the end). Without it every page is read. At most PDF_MAX_PAGES (default 20) ' +
  'pages per request: more is `413 too_many_pages`; a page the PDF lacks is `422 invalid_document`.';
const OCR_POLICY_DESCRIPTION =
  'PDF only (ignored for an image; an addition to the original contract). `auto` (default): a page with a text layer is ' +
  'read from it (exact text and boxes, `source: "text-layer"`), a page without one (a scan) is rendered and recognised ' +
  '(`source: "ocr"`). `always`: every page is rendered and recognised, whatever its text layer says.';

/**
 * `POST /api/v1/ocr` as JSON, and the text fields of the multipart form. `image` is optional here
 * because a multipart request carries it as a file; the service insists on exactly one of the two.
 */
export class OcrRequestDto {
  @ApiProperty({
    description:
      'An `https` URL (fetched by the server under SSRF rules), a `data:image/...;base64,` (or `data:application/pdf;base64,`) ' +
      'URI, or bare base64 (standard or URL-safe). JPEG, PNG, WebP, TIFF or GIF, or a PDF (an addition to the original ' +
      'contract: answered page by page, see `pages` and `ocr`); the type is sniffed from the bytes.',
    example: 'https://images.example.com/receipts/2024-11-27.jpg',
  })
  @IsOptional()
  @IsString()
  image?: string;

  @ApiPropertyOptional({ enum: OCR_MODES, description: MODE_DESCRIPTION })
  @IsOptional()
  @IsIn(OCR_MODES)
  mode?: OcrMode;

  @ApiPropertyOptional({
    maxLength: MAX_PROMPT_LENGTH,
    description: PROMPT_DESCRIPTION,
    example: 'Convert the document to markdown.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PROMPT_LENGTH)
  prompt?: string;

  @ApiPropertyOptional({ enum: OCR_FORMATS, description: FORMAT_DESCRIPTION })
  @IsOptional()
  @IsIn(OCR_FORMATS)
  format?: OcrFormat;

  @ApiPropertyOptional({
    maxLength: MAX_PAGES_FIELD_LENGTH,
    description: PAGES_DESCRIPTION,
    example: '1-3,7',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PAGES_FIELD_LENGTH)
  pages?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_OCR_POLICIES, description: OCR_POLICY_DESCRIPTION })
  @IsOptional()
  @IsIn(DOCUMENT_OCR_POLICIES)
  ocr?: DocumentOcrPolicy;
}

/** The multipart form of `POST /api/v1/ocr`, for the OpenAPI document only (multer reads the file). */
export class OcrUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The image file: JPEG, PNG, WebP, TIFF or GIF, or a PDF.',
  })
  image!: string;

  @ApiPropertyOptional({ enum: OCR_MODES, description: MODE_DESCRIPTION })
  mode?: OcrMode;

  @ApiPropertyOptional({ maxLength: MAX_PROMPT_LENGTH, description: PROMPT_DESCRIPTION })
  prompt?: string;

  @ApiPropertyOptional({ enum: OCR_FORMATS, description: FORMAT_DESCRIPTION })
  format?: OcrFormat;

  @ApiPropertyOptional({ maxLength: MAX_PAGES_FIELD_LENGTH, description: PAGES_DESCRIPTION })
  pages?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_OCR_POLICIES, description: OCR_POLICY_DESCRIPTION })
  ocr?: DocumentOcrPolicy;
}

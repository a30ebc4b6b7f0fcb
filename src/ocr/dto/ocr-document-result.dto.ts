import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PAGE_SOURCES, QUALITY_WARNINGS, type PageSource, type QualityWarning } from '@app/contracts';
import { OcrLineDto, OcrTimingDto } from './ocr-result.dto';

/** One page of a PDF's result. */
export class OcrPageDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 1,
    description: 'The page number in the PDF, from 1.',
  })
  page!: number;

  @ApiProperty({
    type: 'integer',
    example: 1700,
    description:
      'Width of the page in pixels as rendered (PDF_RENDER_DPI, default 200 dpi, lower for a page that would exceed ' +
      'MAX_IMAGE_PIXELS); boxes are in these pixels, whatever the `source`.',
  })
  width!: number;

  @ApiProperty({ type: 'integer', example: 2200, description: 'Height of the page in the same pixels.' })
  height!: number;

  @ApiProperty({
    description: 'The page’s lines in reading order, joined by \\n.',
    example: 'Invoice 2024-117',
  })
  text!: string;

  @ApiProperty({
    type: [OcrLineDto],
    description: 'As in an image’s result; lines and words from the text layer have confidence 1.',
  })
  lines!: OcrLineDto[];

  @ApiPropertyOptional({ description: 'Only with `mode: "markdown"`: the page’s lines as markdown.' })
  markdown?: string;

  @ApiProperty({
    enum: PAGE_SOURCES,
    example: 'text-layer',
    description:
      '`text-layer`: the text and boxes are the PDF’s own (born-digital pages, exact, nothing recognised); `ocr`: the ' +
      'page has no text layer (a scan), or `ocr: "always"` was sent, and it was rendered and recognised.',
  })
  source!: PageSource;

  @ApiProperty({
    enum: QUALITY_WARNINGS,
    isArray: true,
    example: [],
    description: 'As for an image, for pages read by OCR; always empty for a text-layer page.',
  })
  warnings!: QualityWarning[];
}

/** The result for a PDF: its pages in order. An addition to the original contract. */
export class OcrDocumentResultDto {
  @ApiProperty({ description: 'The request id (also in X-Request-Id).', example: 'req_5oVqkWqvHtQ1pYzA' })
  id!: string;

  @ApiProperty({
    type: [OcrPageDto],
    description:
      'The pages read, in page order: all of them, or those chosen with `pages`. Each cost a unit of quota.',
  })
  pages!: OcrPageDto[];

  @ApiProperty({
    description: 'The pages’ texts in page order, separated by a blank line.',
    example: 'Page one\n\nPage two',
  })
  text!: string;

  @ApiProperty({ type: 'integer', example: 3, description: 'How many pages the PDF has (read or not).' })
  pageCount!: number;

  @ApiProperty({
    description: 'The models that read the `ocr` pages.',
    example: 'PP-OCRv4 (det ch_PP-OCRv4_det, rec ch_PP-OCRv4_rec)',
  })
  model!: string;

  @ApiProperty({ enum: ['cpu', 'cuda'], example: 'cpu' })
  device!: 'cpu' | 'cuda';

  @ApiProperty({ description: 'Always false: PDF results are not cached.', example: false })
  cached!: false;

  @ApiProperty({ type: OcrTimingDto })
  timing!: OcrTimingDto;
}

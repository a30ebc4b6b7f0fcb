import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { QUALITY_WARNINGS, type QualityWarning, type Quad } from '@app/contracts';

const QUAD_SCHEMA = {
  type: 'array',
  minItems: 4,
  maxItems: 4,
  items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } },
} as const;

export class OcrWordDto {
  @ApiProperty({ example: 'TOTAL', description: 'A maximal run of non-space characters of its line.' })
  text!: string;

  @ApiProperty({
    minimum: 0,
    maximum: 1,
    example: 0.98,
    description: 'Mean character confidence of the word.',
  })
  confidence!: number;

  @ApiProperty({
    ...QUAD_SCHEMA,
    description:
      'The part of its line’s box the word covers: four corners in the same order and pixel coordinates as the ' +
      'line’s `box`, on the line box’s top and bottom edges (from the recognizer’s character alignment).',
    example: [
      [40, 1630],
      [180, 1630],
      [180, 1672],
      [40, 1672],
    ],
  })
  box!: Quad;
}

export class OcrLineDto {
  @ApiProperty({ example: 'TOTAL 12.50' })
  text!: string;

  @ApiProperty({
    minimum: 0,
    maximum: 1,
    example: 0.97,
    description: 'Mean character confidence of the line.',
  })
  confidence!: number;

  @ApiProperty({
    description:
      'Four corners (clockwise from top left) in pixels of the image as sent, after its EXIF orientation is applied.',
    ...QUAD_SCHEMA,
    example: [
      [40, 1630],
      [420, 1630],
      [420, 1672],
      [40, 1672],
    ],
  })
  box!: Quad;

  @ApiProperty({
    type: [OcrWordDto],
    description:
      'The line’s words in reading order. Joined by single spaces they are the line’s `text`. An addition to ' +
      'the original contract.',
  })
  words!: OcrWordDto[];
}

export class OcrTimingDto {
  @ApiProperty({
    type: 'integer',
    description:
      'Time to produce this result: the worker’s total for this image, or the cache lookup for a hit (`cached`).',
    example: 1180,
  })
  totalMs!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Time the image waited for a free inference lane.',
    example: 12,
  })
  queueMs!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Time of the models themselves (0 for a cache hit).',
    example: 1150,
  })
  inferenceMs!: number;
}

/** An OCR result as the contract defines it. */
export class OcrResultDto {
  @ApiProperty({
    description: 'The request id (also in X-Request-Id); in a batch, suffixed with the item index.',
    example: 'req_5oVqkWqvHtQ1pYzA',
  })
  id!: string;

  @ApiProperty({
    description: 'All lines in reading order, joined by \\n.',
    example: 'ACME STORE\nTOTAL 12.50',
  })
  text!: string;

  @ApiProperty({ type: [OcrLineDto] })
  lines!: OcrLineDto[];

  @ApiPropertyOptional({
    description: 'Only with `mode: "markdown"`: the lines grouped into paragraphs and simple columns.',
    example: '# ACME STORE\n\nTOTAL 12.50',
  })
  markdown?: string;

  @ApiProperty({
    type: 'integer',
    description: 'Image width in pixels, after EXIF orientation.',
    example: 1240,
  })
  width!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Image height in pixels, after EXIF orientation.',
    example: 1754,
  })
  height!: number;

  @ApiProperty({
    enum: QUALITY_WARNINGS,
    isArray: true,
    description:
      'Why the image is likely to read badly, so an app can ask for a better photo (an addition to the original ' +
      'contract; empty when nothing suggests it): `blurry` (the text is blurred for its size: the variance of the ' +
      'Laplacian in the line boxes, relative to their contrast and height), `small_text` (median line height under ' +
      '12 px), `dark` (the paper is darker than 40 of 255), `low_contrast` (paper and ink closer than 32 of 255), ' +
      '`rotated` (the page lay sideways or upside down and was turned 90, 180 or 270 degrees to be read; boxes ' +
      'stay in the pixels of the image as sent).',
    example: [],
  })
  warnings!: QualityWarning[];

  @ApiProperty({
    description: 'The models that produced the result.',
    example: 'PP-OCRv4 (det ch_PP-OCRv4_det, rec ch_PP-OCRv4_rec)',
  })
  model!: string;

  @ApiProperty({ enum: ['cpu', 'cuda'], example: 'cpu' })
  device!: 'cpu' | 'cuda';

  @ApiProperty({
    description:
      'True when served from this key’s results cache (same bytes, mode and model seen before by this key or the keys it was rotated from). A hit costs one unit of quota.',
    example: false,
  })
  cached!: boolean;

  @ApiProperty({ type: OcrTimingDto })
  timing!: OcrTimingDto;
}

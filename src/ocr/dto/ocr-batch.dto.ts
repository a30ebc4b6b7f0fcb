import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import type { ApiErrorCode } from '../../common/errors/api-error';
import { API_ERROR_CODES } from '../../common/errors/error-catalogue';
import { OCR_MODES, type OcrMode } from '../ocr-mode';
import { OcrResultDto } from './ocr-result.dto';

export const MAX_ITEM_ID_LENGTH = 200;

export class OcrBatchImageDto {
  @ApiProperty({
    description: 'As `image` of `POST /api/v1/ocr`: an https URL, a data: URI or bare base64.',
    example: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA…',
  })
  @IsString()
  @IsNotEmpty()
  image!: string;

  // Explicit: `string | null` reflects as Object, which the document would declare as `type: object`.
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_ITEM_ID_LENGTH,
    description: 'Your own reference for this image, echoed in its answer.',
    example: 'receipt-17',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_ITEM_ID_LENGTH)
  id?: string | null;
}

export class OcrBatchRequestDto {
  @ApiProperty({
    type: [OcrBatchImageDto],
    minItems: 1,
    description:
      'From 1 to BATCH_MAX (default 16; `maxItems` is the configured value) images. One unit of quota per image ' +
      'that produces a result.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => OcrBatchImageDto)
  images!: OcrBatchImageDto[];

  @ApiPropertyOptional({
    enum: OCR_MODES,
    description: 'Applies to every image of the batch. Default `text`.',
  })
  @IsOptional()
  @IsIn(OCR_MODES)
  mode?: OcrMode;

  @ApiPropertyOptional({
    enum: ['json'],
    description:
      'A batch answers in JSON only; `hocr` and `alto` are refused (400 validation_failed): ask ' +
      '`POST /api/v1/ocr` for them one image at a time, as each is a document of its own.',
  })
  @IsOptional()
  @IsIn(['json'], {
    message: 'format must be json: a batch answers in JSON only; ask POST /api/v1/ocr for hocr or alto',
  })
  format?: 'json';
}

export class OcrItemErrorDto {
  @ApiProperty({
    enum: API_ERROR_CODES,
    description: 'The code the same failure has on `POST /api/v1/ocr`.',
    example: 'invalid_image',
  })
  code!: ApiErrorCode;

  @ApiProperty({ example: 'The image could not be read: its PNG header is damaged.' })
  message!: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Seconds to wait before retrying, for quota_exceeded and worker_overloaded.',
    example: 1,
  })
  retryAfter?: number;
}

export class OcrBatchSuccessDto {
  @ApiPropertyOptional({ description: 'The item’s `id`, when it had one.', example: 'receipt-17' })
  id?: string;

  @ApiProperty({ type: OcrResultDto })
  result!: OcrResultDto;
}

export class OcrBatchFailureDto {
  @ApiPropertyOptional({ description: 'The item’s `id`, when it had one.', example: 'receipt-18' })
  id?: string;

  @ApiProperty({ type: OcrItemErrorDto })
  error!: OcrItemErrorDto;
}

export type OcrBatchItemDto = OcrBatchSuccessDto | OcrBatchFailureDto;

export class OcrBatchResponseDto {
  @ApiProperty({
    description: 'One entry per image, in the order sent: `{"id"?, "result"}` or `{"id"?, "error"}`.',
    type: 'array',
    items: {
      oneOf: [{ $ref: getSchemaPath(OcrBatchSuccessDto) }, { $ref: getSchemaPath(OcrBatchFailureDto) }],
    },
  })
  results!: OcrBatchItemDto[];
}

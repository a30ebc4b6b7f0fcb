import { ApiProperty } from '@nestjs/swagger';
import type { ApiErrorCode } from '../errors/api-error';
import { API_ERROR_CODES } from '../errors/error-catalogue';

export class ErrorDetailDto {
  @ApiProperty({ enum: API_ERROR_CODES, example: 'validation_failed' })
  code!: ApiErrorCode;

  @ApiProperty({
    description: 'A sentence a person can act on.',
    example: 'Invalid request: mode must be one of text, lines, markdown.',
  })
  message!: string;

  @ApiProperty({ description: 'Also in the X-Request-Id response header.', example: 'req_5oVqkWqvHtQ1pYzA' })
  requestId!: string;
}

/** The one error shape of the API: `{"error":{"code","message","requestId"}}`. */
export class ErrorResponseDto {
  @ApiProperty({ type: ErrorDetailDto })
  error!: ErrorDetailDto;
}

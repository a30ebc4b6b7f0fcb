import { ApiProperty } from '@nestjs/swagger';

export class CreatedTokenDto {
  @ApiProperty({
    example: 'ocrt_eyJrIjoiazN2OXEybTd4MWFiIiwiZSI6MTc2NDI0MTIwMH0.<43 base64url characters>',
    description:
      'Send it as `Authorization: Bearer <token>` to the OCR and usage endpoints. It is not stored: keep it only as long as it lives.',
  })
  token!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-27T10:05:00.000Z' })
  expiresAt!: string;
}

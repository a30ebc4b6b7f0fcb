import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { CurrentKey } from '../auth/current-key.decorator';
import { Scopes } from '../api-keys/scopes.decorator';
import { ApiErrorResponses } from '../common/decorators/api-error-responses.decorator';
import { UsageReadByRequest } from './request-usage';
import { UsageQueryDto } from './dto/usage-query.dto';
import { UsageResponseDto } from './dto/usage-response.dto';
import type { UsageSnapshot } from './usage-snapshot';
import { UsageService } from './usage.service';

@ApiTags('usage')
@Controller('api/v1/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @Scopes('ocr')
  @ApiOperation({
    operationId: 'getUsage',
    summary: "The calling key's usage today",
    description:
      'Images counted against the daily quota (a UTC day, shared with the keys this one was rotated from), ' +
      "the quota's reset time and the tier's rate limit; `days` adds a daily history. Costs no quota, " +
      'counts against the rate limit.',
  })
  @ApiOkResponse({ type: UsageResponseDto })
  @ApiErrorResponses('validation_failed', 'rate_limited')
  report(
    @CurrentKey() key: AuthenticatedKey,
    @Query() query: UsageQueryDto,
    @UsageReadByRequest() readAlready: UsageSnapshot | undefined,
  ): Promise<UsageResponseDto> {
    return this.usage.report(key, query.days, readAlready);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Scopes } from './scopes.decorator';
import { ReadsBody } from '../common/body/reads-body';
import { ApiErrorResponses } from '../common/decorators/api-error-responses.decorator';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, ApiKeyListDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { ApiKeyUsageDto } from './dto/api-key-usage.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { RotateApiKeyDto } from './dto/rotate-api-key.dto';
import { UpdateApiKeyDto } from './dto/update-api-key.dto';
import { UsageQueryDto } from './dto/usage-query.dto';
import { KeyIdPipe } from './key-id.pipe';

@ApiTags('admin: keys')
@Scopes('admin')
@Controller('admin/v1/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ReadsBody('admin')
  @ApiOperation({
    operationId: 'createKey',
    summary: 'Create a key; the answer holds the plaintext key, this one time',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrorResponses('validation_failed')
  create(@Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(body);
  }

  @Get()
  @ApiOperation({ operationId: 'listKeys', summary: 'List the keys that are not revoked' })
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(): Promise<ApiKeyListDto> {
    return { items: await this.keys.list() };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getKey', summary: 'One key' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiErrorResponses('validation_failed', 'not_found')
  get(@Param('id', KeyIdPipe) id: string): Promise<ApiKeyDto> {
    return this.keys.get(id);
  }

  @Patch(':id')
  @ReadsBody('admin')
  @ApiOperation({
    operationId: 'updateKey',
    summary:
      'Change name, tier, enabled, expiresAt, dailyLimit or the restrictions (allowedOrigins, allowedCidrs, rateLimit); takes effect on the next request',
  })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiErrorResponses('validation_failed', 'not_found', 'conflict')
  update(@Param('id', KeyIdPipe) id: string, @Body() body: UpdateApiKeyDto): Promise<ApiKeyDto> {
    return this.keys.update(id, body);
  }

  @Post(':id/rotate')
  @ReadsBody('admin')
  @ApiOperation({
    operationId: 'rotateKey',
    summary: 'Replace a key by a new one with the same settings; the old one works for the grace period',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrorResponses('validation_failed', 'not_found', 'conflict')
  rotate(@Param('id', KeyIdPipe) id: string, @Body() body: RotateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.rotate(id, body.graceSeconds);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeKey',
    summary: 'Revoke a key: it fails from the next request on, on every gateway process',
  })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrorResponses('validation_failed', 'not_found', 'conflict')
  revoke(@Param('id', KeyIdPipe) id: string): Promise<void> {
    return this.keys.revoke(id);
  }

  @Get(':id/usage')
  @ApiOperation({
    operationId: 'getKeyUsage',
    summary: "The key's daily usage (its lineage's, across rotations)",
  })
  @ApiOkResponse({ type: ApiKeyUsageDto })
  @ApiErrorResponses('validation_failed', 'not_found')
  usage(@Param('id', KeyIdPipe) id: string, @Query() query: UsageQueryDto): Promise<ApiKeyUsageDto> {
    return this.keys.usageOf(id, query.days);
  }
}

import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../api-keys/scopes.decorator';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { CurrentKey } from '../auth/current-key.decorator';
import { ReadsBody } from '../common/body/reads-body';
import { ApiErrorResponses } from '../common/decorators/api-error-responses.decorator';
import { CreateTokenDto } from './dto/create-token.dto';
import { CreatedTokenDto } from './dto/created-token.dto';
import { TokensService } from './tokens.service';

@ApiTags('tokens')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @Scopes('tokens')
  @ReadsBody('admin')
  @ApiOperation({
    operationId: 'createToken',
    summary: 'Mint a short-lived token for a browser or a phone',
    description:
      "For an app's backend: the token acts as the calling key on the OCR and usage endpoints only " +
      '(`Authorization: Bearer <token>`, not X-API-Key), counts against its quota and rate limit, and stops ' +
      'working when it expires or when the key is revoked, disabled or expires. It cannot mint tokens nor ' +
      'call the admin API. 404 not_found when the server has no TOKEN_SIGNING_KEYS.',
  })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiErrorResponses('validation_failed', 'not_found', 'rate_limited')
  create(@CurrentKey() key: AuthenticatedKey, @Body() body: CreateTokenDto): CreatedTokenDto {
    return this.tokens.mint(key, body);
  }
}

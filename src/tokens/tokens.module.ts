import { Module } from '@nestjs/common';
import { TokenSigningModule } from './token-signing.module';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

/** `POST /api/v1/tokens`; the tokens are accepted by the API-key guard (AuthModule). */
@Module({
  imports: [TokenSigningModule],
  controllers: [TokensController],
  providers: [TokensService],
})
export class TokensModule {}

import { Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { TokenSigner } from './token-signer';

/** The TokenSigner alone, for the API-key guard (which accepts tokens) and TokensModule (which mints them). */
@Module({
  providers: [
    {
      provide: TokenSigner,
      useFactory: (config: AppConfig) => new TokenSigner(config.tokens.signingKeys),
      inject: [AppConfig],
    },
  ],
  exports: [TokenSigner],
})
export class TokenSigningModule {}

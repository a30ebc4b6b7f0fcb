import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config';
import { DailyUsageRepository } from '../usage/daily-usage.repository';
import { ApiKeyChangeConfirmations } from './api-key-change-confirmations';
import { ApiKeyChanges } from './api-key-changes';
import { ApiKey } from './api-key.entity';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

/** Keys: storage, hashing, management service and the admin REST API. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKey])],
  controllers: [ApiKeysController],
  providers: [
    ApiKeyRepository,
    ApiKeyChanges,
    ApiKeyChangeConfirmations,
    ApiKeysService,
    DailyUsageRepository,
    {
      provide: ApiKeyHasher,
      useFactory: (config: AppConfig) => new ApiKeyHasher(config.auth.bcryptCost),
      inject: [AppConfig],
    },
  ],
  exports: [ApiKeyRepository, ApiKeyChanges, ApiKeyHasher, ApiKeysService],
})
export class ApiKeysModule {}

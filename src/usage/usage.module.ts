import { Module } from '@nestjs/common';
import { DailyUsageRepository } from './daily-usage.repository';
import { LeaseSweeper } from './lease-sweeper';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/**
 * Daily quota accounting: a ledger per OCR request (`@UseInterceptors(UsageSettlementInterceptor)`
 * and `@RequestLedger()`), the sweep of expired leases, and `GET /api/v1/usage`.
 */
@Module({
  controllers: [UsageController],
  providers: [DailyUsageRepository, UsageService, LeaseSweeper],
  exports: [UsageService],
})
export class UsageModule {}

import { Module } from '@nestjs/common';
import { DailyUsageRepository } from './daily-usage.repository';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** Daily quota accounting (`UsageService.reserve` for the OCR path, `history` for admin reports). */
@Module({
  controllers: [UsageController],
  providers: [DailyUsageRepository, UsageService],
  exports: [UsageService],
})
export class UsageModule {}

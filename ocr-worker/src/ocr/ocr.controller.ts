import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, TcpContext } from '@nestjs/microservices';
import { OcrPatterns, type RecognizeResult, type WorkerHealth } from '@app/contracts';
import { OcrService } from './ocr.service';

@Controller()
export class OcrController {
  constructor(private readonly ocr: OcrService) {}

  @MessagePattern(OcrPatterns.recognize)
  recognize(@Payload() request: unknown, @Ctx() context: TcpContext): Promise<RecognizeResult> {
    return this.ocr.recognize(request, context.getSocketRef().netSocket);
  }

  @EventPattern(OcrPatterns.cancel)
  cancel(@Payload() request: unknown): void {
    this.ocr.cancel(request);
  }

  @MessagePattern(OcrPatterns.health)
  health(): WorkerHealth {
    return this.ocr.health();
  }
}

import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { OcrPatterns, type RecognizeResult, type WorkerHealth } from '@app/contracts';
import { OcrService } from './ocr.service';

@Controller()
export class OcrController {
  constructor(private readonly ocr: OcrService) {}

  @MessagePattern(OcrPatterns.recognize)
  recognize(@Payload() request: unknown): Promise<RecognizeResult> {
    return this.ocr.recognize(request);
  }

  @MessagePattern(OcrPatterns.health)
  health(): WorkerHealth {
    return this.ocr.health();
  }
}

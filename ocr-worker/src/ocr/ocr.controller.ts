import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, TcpContext } from '@nestjs/microservices';
import {
  OcrPatterns,
  type DocumentInfo,
  type ReadDocumentResult,
  type RecognizeResult,
  type WorkerHealth,
} from '@app/contracts';
import { OcrService } from './ocr.service';

@Controller()
export class OcrController {
  constructor(private readonly ocr: OcrService) {}

  @MessagePattern(OcrPatterns.recognize)
  recognize(@Payload() request: unknown, @Ctx() context: unknown): Promise<RecognizeResult> {
    // On NATS (NatsContext) no connection belongs to the caller: only the deadline and ocr.cancel.
    return this.ocr.recognize(
      request,
      context instanceof TcpContext ? context.getSocketRef().netSocket : undefined,
    );
  }

  @MessagePattern(OcrPatterns.inspectDocument)
  inspectDocument(@Payload() request: unknown, @Ctx() context: TcpContext): Promise<DocumentInfo> {
    return this.ocr.inspectDocument(request, context.getSocketRef().netSocket);
  }

  @MessagePattern(OcrPatterns.readDocument)
  readDocument(@Payload() request: unknown, @Ctx() context: TcpContext): Promise<ReadDocumentResult> {
    return this.ocr.readDocument(request, context.getSocketRef().netSocket);
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

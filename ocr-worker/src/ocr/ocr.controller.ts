import type { Socket } from 'node:net';
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
    return this.ocr.recognize(request, callerSocket(context));
  }

  @MessagePattern(OcrPatterns.inspectDocument)
  inspectDocument(@Payload() request: unknown, @Ctx() context: unknown): Promise<DocumentInfo> {
    return this.ocr.inspectDocument(request, callerSocket(context));
  }

  @MessagePattern(OcrPatterns.readDocument)
  readDocument(@Payload() request: unknown, @Ctx() context: unknown): Promise<ReadDocumentResult> {
    return this.ocr.readDocument(request, callerSocket(context));
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

/**
 * The caller's connection, whose closing drops its queued jobs. On NATS (NatsContext) no
 * connection belongs to the caller: only the deadline and ocr.cancel end a job early.
 */
function callerSocket(context: unknown): Socket | undefined {
  return context instanceof TcpContext ? context.getSocketRef().netSocket : undefined;
}

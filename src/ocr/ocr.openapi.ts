import type { OpenAPIObject, SchemaObject } from '@nestjs/swagger';
import { OcrBatchRequestDto } from './dto/ocr-batch.dto';

/**
 * `maxItems` of a batch's `images`: BATCH_MAX is configuration, unknown when the DTO's decorators
 * run, so the document is given the value the gateway enforces once it is built.
 */
export function documentBatchLimit(batchMax: number): (document: OpenAPIObject) => void {
  return (document) => {
    const schema = document.components?.schemas?.[OcrBatchRequestDto.name] as SchemaObject | undefined;
    const images = schema?.properties?.images as SchemaObject | undefined;
    if (images === undefined) {
      throw new Error(`The OpenAPI document has no ${OcrBatchRequestDto.name}.images to limit.`);
    }
    images.maxItems = batchMax;
  };
}

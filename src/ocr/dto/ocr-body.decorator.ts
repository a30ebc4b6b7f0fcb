import {
  ArgumentMetadata,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  PipeTransform,
} from '@nestjs/common';
import type { Request } from 'express';
import { createValidationPipe } from '../../common/pipes/validation.pipe';

/**
 * The body of a route that takes JSON or a multipart form (whose text fields multer puts in
 * `req.body`). A custom decorator rather than `@Body()`: Swagger would derive one schema from a
 * `@Body()` parameter for every content type, while the file upload needs its own; the route
 * declares both in `@ApiOperation({ requestBody })`. Validate it with `ValidateBodyPipe`.
 */
export const JsonOrFormBody = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown => context.switchToHttp().getRequest<Request>().body,
);

/** The global validation rules applied to a `JsonOrFormBody` parameter, which the global pipe skips. */
@Injectable()
export class ValidateBodyPipe implements PipeTransform {
  private readonly pipe = createValidationPipe();

  transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Neither a missing JSON body nor a form without text fields is an error by itself.
    return this.pipe.transform(value ?? {}, { ...metadata, type: 'body' }) as Promise<unknown>;
  }
}

import { PipeTransform } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { KEY_ID_PATTERN } from './api-key-format';

/** A `:id` route parameter that can be a key id at all; anything else never reaches the database. */
export class KeyIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!KEY_ID_PATTERN.test(value)) {
      throw new ApiError(400, 'validation_failed', 'id must be a key id: 12 lowercase letters or digits');
    }
    return value;
  }
}

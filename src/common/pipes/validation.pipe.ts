import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from '../errors/api-error';

const MAX_LISTED_PROBLEMS = 10;

/** Each failed constraint of each field, with its path (`images.2.image must be a string`). */
export function listValidationProblems(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    // class-validator names only the leaf property; the full path tells which item failed.
    const own = Object.values(error.constraints ?? {}).map((message) => {
      if (message.startsWith(error.property)) {
        return `${path}${message.slice(error.property.length)}`;
      }
      const unknownProperty = `property ${error.property} `;
      return message.startsWith(unknownProperty)
        ? `property ${path} ${message.slice(unknownProperty.length)}`
        : `${path}: ${message}`;
    });
    return [...own, ...listValidationProblems(error.children ?? [], path)];
  });
}

/** The global pipe: strips nothing silently (unknown fields are refused), converts types, and fails in the contract's shape. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const problems = listValidationProblems(errors);
      const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
      const more =
        problems.length > MAX_LISTED_PROBLEMS ? ` (and ${problems.length - MAX_LISTED_PROBLEMS} more)` : '';
      return new ApiError(400, 'validation_failed', `Invalid request: ${listed}${more}.`);
    },
  });
}

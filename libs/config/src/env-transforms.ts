/**
 * How environment strings become typed values, for the gateway's and the worker's environment
 * DTOs alike (class-transformer `@Transform`), so a variable both read means the same in both.
 */

/** A string becomes a number only when it spells one ('40e6' included); anything else fails @IsInt. */
export function toNumber({ value }: { value: unknown }): unknown {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return value;
}

export function toBoolean({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') {
    return value;
  }
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(normalised)) {
    return false;
  }
  return value;
}

/** For names chosen from a list (`OCR_DEVICE=CUDA`). */
export function toLowerCase({ value }: { value: unknown }): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

import { readFileSync } from 'node:fs';
import { ModelConfigError } from './model-files';

/** The recognizer's output classes: index 0 is the CTC blank, then the dictionary, then (usually) a space. */
export interface Charset {
  /** Class index to text; index 0 (blank) is the empty string. */
  readonly symbols: readonly string[];
  readonly spaceIndex: number | undefined;
}

/**
 * Builds the class table as PaddleOCR's CTCLabelDecode does: one character per dictionary line,
 * a blank in front and, when the model predicts one more class than that, the space at the end.
 */
export function buildCharset(dictionaryText: string, classCount: number): Charset {
  const lines = dictionaryText.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  if (classCount === lines.length + 2) {
    return { symbols: ['', ...lines, ' '], spaceIndex: lines.length + 1 };
  }
  if (classCount === lines.length + 1) {
    return { symbols: ['', ...lines], spaceIndex: undefined };
  }
  throw new ModelConfigError(
    `The dictionary (${lines.length} entries) does not match the recognition model (${classCount} classes): use the dictionary the model was trained with.`,
  );
}

export function loadCharset(dictionaryPath: string, classCount: number): Charset {
  return buildCharset(readFileSync(dictionaryPath, 'utf8'), classCount);
}

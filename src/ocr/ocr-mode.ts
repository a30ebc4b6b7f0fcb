import { OCR_MODES, type OcrMode } from '@app/contracts';

export { OCR_MODES, type OcrMode };

/**
 * Without `mode` or `prompt` a result carries `text` and `lines` (every mode does); `markdown`
 * adds the `markdown` field. `text` is the default because that is what a DeepSeek-OCR-style
 * client without a prompt expects.
 */
export const DEFAULT_OCR_MODE: OcrMode = 'text';

const ASKS_FOR_MARKDOWN = /markdown/i;

/**
 * The mode a request asks for. `mode` wins over `prompt`; a prompt (as DeepSeek-OCR-style clients
 * send, e.g. "Convert the document to markdown.") selects `markdown` when it mentions markdown,
 * and `text` otherwise. The prompt is never sent to the model: PP-OCR takes no instructions.
 */
export function resolveOcrMode(mode?: OcrMode | null, prompt?: string | null): OcrMode {
  // JSON null passes the optional-field validation: it means "not given", like an absent field.
  if (mode !== undefined && mode !== null) {
    return mode;
  }
  if (prompt !== undefined && prompt !== null) {
    return ASKS_FOR_MARKDOWN.test(prompt) ? 'markdown' : 'text';
  }
  return DEFAULT_OCR_MODE;
}

/**
 * CJK punctuation that NFKC leaves alone but a Latin-script reader expects as ASCII. The
 * recognizer's dictionary is Chinese, so it often picks these for the printed ASCII marks.
 */
const PUNCTUATION: Readonly<Record<string, string>> = {
  '\u3001': ',', // 、
  '\u3002': '.', // 。
  '\u300c': '"', // 「
  '\u300d': '"', // 」
  '\u300e': '"', // 『
  '\u300f': '"', // 』
  '\u3010': '[', // 【
  '\u3011': ']', // 】
  '\u3014': '(', // 〔
  '\u3015': ')', // 〕
  '\u2018': "'", // ‘
  '\u2019': "'", // ’
  '\u201c': '"', // “
  '\u201d': '"', // ”
  '\u2014': '-', // —
  '\u2013': '-', // –
  '\u2212': '-', // −
  '\u00b7': '.', // ·
  '\u30fb': '.', // ・
};

const PATTERN = new RegExp(`[${Object.keys(PUNCTUATION).join('')}]`, 'g');

/**
 * NFKC (full-width letters, digits and punctuation such as `：` `（` become ASCII) plus the
 * punctuation above; runs of whitespace collapse to one space.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(PATTERN, (ch) => PUNCTUATION[ch] ?? ch)
    .replace(/\s+/g, ' ')
    .trim();
}

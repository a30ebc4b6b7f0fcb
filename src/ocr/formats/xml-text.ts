const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** The characters XML 1.0 can carry (its production `Char`). */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Text made safe for XML (and XHTML) character data and for attribute values in either quotes.
 * Characters XML cannot carry at all (most C0 controls, U+FFFE, U+FFFF, unpaired surrogates) are
 * dropped: no escape can save them, and one would make the whole document unreadable.
 */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    if (isXmlChar(ch.codePointAt(0) ?? 0)) {
      out += ENTITIES[ch] ?? ch;
    }
  }
  return out;
}

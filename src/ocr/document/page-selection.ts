import { ImageInputErrors } from '../image-input/image-input.errors';

/** Inclusive ranges of 1-based pages; `to` undefined: to the last page (`"3-"`). */
export type PageSelection = ReadonlyArray<{ readonly from: number; readonly to?: number }>;

/** Longest `pages` value taken: plenty for any real selection, and a bound on the parse. */
export const MAX_PAGES_FIELD_LENGTH = 200;
/** Page numbers beyond this are refused while parsing (no PDF we read has more pages). */
const MAX_PAGE_NUMBER = 1_000_000;

const TERM = /^(\d+)(?:\s*-\s*(\d*))?$/;

/**
 * Parses `pages` as sent: comma-separated page numbers and ranges, 1-based, `"1-3,7"`, `"5-"`
 * (to the end). Whitespace around terms is allowed; anything else is a 400.
 */
export function parsePageSelection(text: string): PageSelection {
  if (text.length > MAX_PAGES_FIELD_LENGTH) {
    throw ImageInputErrors.invalidPages(`must be at most ${MAX_PAGES_FIELD_LENGTH} characters`);
  }
  const terms = text.split(',').map((term) => term.trim());
  return terms.map((term) => {
    const match = TERM.exec(term);
    if (!match) {
      throw ImageInputErrors.invalidPages(
        `must list page numbers and ranges such as "1-3,7" or "5-"; "${term.slice(0, 20)}" is neither`,
      );
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : match[2] === '' ? undefined : Number(match[2]);
    if (from < 1 || from > MAX_PAGE_NUMBER || (to !== undefined && (to < from || to > MAX_PAGE_NUMBER))) {
      throw ImageInputErrors.invalidPages(
        `must count from 1, each range from its first page to a later one ("${term.slice(0, 20)}" does not)`,
      );
    }
    return { from, to };
  });
}

/**
 * The pages to read, ascending and each once: all of them without a selection. More than
 * `maxPages` is a 413 too_many_pages; a page the document lacks a 422 invalid_document.
 */
export function resolvePages(
  selection: PageSelection | undefined,
  pageCount: number,
  maxPages: number,
): number[] {
  if (selection === undefined) {
    if (pageCount > maxPages) {
      throw ImageInputErrors.tooManyPages(pageCount, maxPages, false);
    }
    return Array.from({ length: pageCount }, (_, i) => i + 1);
  }
  const chosen = new Set<number>();
  for (const { from, to } of selection) {
    if (from > pageCount || (to !== undefined && to > pageCount)) {
      throw ImageInputErrors.pagesOutOfRange(pageCount, to !== undefined && to > pageCount ? to : from);
    }
    for (let page = from; page <= (to ?? pageCount); page += 1) {
      chosen.add(page);
      if (chosen.size > maxPages) {
        throw ImageInputErrors.tooManyPages(countSelected(selection, pageCount), maxPages, true);
      }
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

function countSelected(selection: PageSelection, pageCount: number): number {
  const chosen = new Set<number>();
  for (const { from, to } of selection) {
    for (let page = from; page <= Math.min(to ?? pageCount, pageCount); page += 1) {
      chosen.add(page);
    }
  }
  return chosen.size;
}

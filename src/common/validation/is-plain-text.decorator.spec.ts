import { validateSync } from 'class-validator';
import { IsPlainText } from './is-plain-text.decorator';

class Named {
  @IsPlainText()
  name!: string;
}

function accepts(name: string): boolean {
  return validateSync(Object.assign(new Named(), { name })).length === 0;
}

describe(IsPlainText.name, () => {
  it.each(['receipts app (production)', 'Kassenbon € 12,50', '日本語のレシート', 'emoji 👨‍👩‍👧', ''])(
    'should accept %j',
    (name) => expect(accepts(name)).toBe(true),
  );

  it.each([
    ['NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a line feed', 'a\nb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a right-to-left override', '\u202egnp.exe'],
    ['an isolate', 'a\u2066b'],
    ['an unpaired surrogate', 'a\ud800b'],
  ])('should refuse %s', (_case, name) => expect(accepts(name)).toBe(false));
});

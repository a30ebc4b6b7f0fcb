import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { LookupAddress } from 'node:dns';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageInputOptions } from './image-input.options';
import { pinnedLookup, UrlFetcher } from './url-fetcher';

describe(UrlFetcher.name, () => {
  describe(pinnedLookup.name, () => {
    const lookup = pinnedLookup({ address: '93.184.216.34', family: 4 });

    it('should answer the checked address whatever host name it is asked for', () => {
      const answers: Array<[string, number | undefined]> = [];
      lookup('rebound.example.com', {}, (error, address, family) => {
        expect(error).toBeNull();
        answers.push([address as string, family]);
      });
      expect(answers).toEqual([['93.184.216.34', 4]]);
    });

    it('should answer a list when the socket asks for all addresses (happy eyeballs)', () => {
      let answer: LookupAddress[] | undefined;
      lookup('rebound.example.com', { all: true }, (_error, addresses) => {
        answer = addresses as LookupAddress[];
      });
      expect(answer).toEqual([{ address: '93.184.216.34', family: 4 }]);
    });
  });

  describe('URL_CA_FILE', () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'intake-ca-'));
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('should fail at boot, without naming the path, when the file cannot be read', () => {
      const caFile = join(dir, 'missing.pem');
      expect(() => new UrlFetcher(imageInputOptions({ url: { caFile } }).url, 1024)).toThrow(
        new Error('URL_CA_FILE cannot be read'),
      );
    });

    it('should fail at boot when the file holds no PEM certificate', () => {
      const caFile = join(dir, 'junk.pem');
      writeFileSync(caFile, 'not a certificate');
      expect(() => new UrlFetcher(imageInputOptions({ url: { caFile } }).url, 1024)).toThrow(
        new Error('URL_CA_FILE does not hold a PEM certificate'),
      );
    });
  });
});

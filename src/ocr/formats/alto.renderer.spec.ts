import { XMLParser } from 'fast-xml-parser';
import { sampleResult } from '../testing/sample-result';
import { validateAlto } from '../testing/validate-alto';
import { renderAlto } from './alto.renderer';

type Attributes = Record<string, string>;
interface ParsedAlto {
  alto: {
    Description: {
      MeasurementUnit: string;
      OCRProcessing: { ocrProcessingStep: { processingSoftware: { softwareVersion: string } } };
    };
    Layout: { Page: Attributes & { PrintSpace: { TextBlock: { TextLine: Array<Attributes & Lines> } } } };
  };
}
interface Lines {
  String: Attributes[];
  SP: Attributes[];
}

function parse(xml: string): ParsedAlto {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['TextLine', 'String', 'SP'].includes(name),
  }).parse(xml) as ParsedAlto;
}

describe(renderAlto.name, () => {
  it('should validate against the published ALTO 4.4 schema', () => {
    expect(validateAlto(renderAlto(sampleResult()))).toEqual({ ok: true, output: '' });
  });

  it('should validate with no lines at all', () => {
    expect(validateAlto(renderAlto({ ...sampleResult(), lines: [], text: '' })).ok).toBe(true);
  });

  it('should be refused by the schema when it breaks it (the check can fail)', () => {
    const broken = renderAlto(sampleResult()).replace(' PHYSICAL_IMG_NR="1"', '');
    expect(validateAlto(broken)).toEqual({ ok: false, output: expect.stringContaining('PHYSICAL_IMG_NR') });
  });

  it('should write every word as a String in pixels, with its confidence, and SP between words', () => {
    const alto = parse(renderAlto(sampleResult()));
    const page = alto.alto.Layout.Page;
    expect(page).toMatchObject({ WIDTH: '420', HEIGHT: '160', PHYSICAL_IMG_NR: '1' });
    expect(alto.alto.Description.MeasurementUnit).toBe('pixel');
    const [first, second] = page.PrintSpace.TextBlock.TextLine;
    expect(first.String.map((s) => s.CONTENT)).toEqual(['Fish', '&', '"Chips"', '<3']);
    expect(first.String[0]).toMatchObject({ HPOS: '10', VPOS: '20', WIDTH: '70', HEIGHT: '40', WC: '0.99' });
    expect(first.SP).toHaveLength(3);
    expect(first.SP[0]).toMatchObject({ HPOS: '80', WIDTH: '15' });
    // A tilted line: the upright rectangle around its quad, in whole pixels.
    expect(second).toMatchObject({ HPOS: '10', VPOS: '90', WIDTH: '391', HEIGHT: '50' });
    expect(second.String.map((s) => s.CONTENT)).toEqual(['TOTAL', '12.50']);
    expect(alto.alto.Description.OCRProcessing.ocrProcessingStep.processingSoftware.softwareVersion).toBe(
      'PP-OCRv4 <test>',
    );
  });
});

import { join } from 'node:path';
import { createTestDatabase } from '../support/database';
import { ROOT } from '../support/paths';
import { migrate, startGateway, stopAll, type GatewayProcess } from '../support/processes';
import {
  compareWithDocument,
  parseSwiftSources,
  readSwiftSources,
  type OpenApiDocument,
} from '../support/swift-sources';

jest.setTimeout(180_000);

const SOURCES = join(ROOT, 'clients', 'swift', 'Sources');

/**
 * The Swift client (clients/swift) cannot be compiled here; what it decodes and calls is checked
 * against the OpenAPI document of a real gateway instead (see test/support/swift-sources.ts).
 */
describe('Swift client against the live OpenAPI document', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let document: OpenApiDocument;
  const files = readSwiftSources(SOURCES);

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    gateway = await startGateway({ databaseUrl: db.url, env: { METRICS_ENABLED: 'false' } });
    const response = await fetch(`${gateway.url}/docs-json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  it('should read the markers of every type that crosses the wire, and the routes', () => {
    const sources = parseSwiftSources(files);
    const schemas = [...sources.declarations.values()].flatMap((d) =>
      d.marker === 'schema' ? d.targets : [],
    );
    expect(schemas).toEqual(
      expect.arrayContaining([
        'OcrResultDto',
        'OcrLineDto',
        'OcrWordDto',
        'OcrTimingDto',
        'OcrBatchResponseDto',
        'OcrItemErrorDto',
        'UsageResponseDto',
        'CreatedTokenDto',
        'ErrorResponseDto',
        'ErrorDetailDto',
        'OcrRequestDto',
        'OcrBatchRequestDto',
        'CreateTokenDto',
      ]),
    );
    expect(sources.declarations.get('OCRResult')?.properties.map((p) => p.name)).toContain('warnings');
    expect(sources.declarations.get('ErrorCode')?.values).toContain('quota_exceeded');
    expect(sources.routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/v1/usage',
      'POST /api/v1/ocr',
      'POST /api/v1/ocr/batch',
      'POST /api/v1/tokens',
    ]);
    // Every type a marked type refers to is marked itself (else the comparison below says so).
    for (const declaration of sources.declarations.values()) {
      for (const property of declaration.properties) {
        const named = property.type.replace(/[[\]?]/g, '');
        if (!['String', 'Int', 'Double', 'Bool', 'Date'].includes(named)) {
          expect({ type: named, marked: sources.declarations.has(named) }).toEqual({
            type: named,
            marked: true,
          });
        }
      }
    }
  });

  it('should decode only fields the document has, with compatible types, and call only its paths', () => {
    expect(compareWithDocument(parseSwiftSources(files), document)).toEqual([]);
  });

  it('should find a field, a type, an optionality, a code and a path that disagree with the document', () => {
    const mutated = files.map(({ file, text }) => ({
      file,
      text: text
        .replace('public let queueMs: Double', 'public let queueSeconds: Double')
        .replace('public let cached: Bool', 'public let cached: String')
        .replace('public let markdown: String?', 'public let markdown: String')
        .replace('public let history: [DayUsage]?', 'public let history: [OCRLine]?')
        .replace('    public static let headersTooLarge = ErrorCode(rawValue: "headers_too_large")\n', '')
        .replace('case usage = "GET /api/v1/usage"', 'case usage = "GET /api/v1/usages"')
        .replace('    let prompt: String?\n}', '    let prompt: String?\n    let colour: String?\n}'),
    }));
    const problems = compareWithDocument(parseSwiftSources(mutated), document).join('\n');
    expect(problems).toContain('OCRTiming.queueSeconds (OcrTimingDto.queueSeconds): not in the document');
    expect(problems).toContain(
      'OCRResult.cached (OcrResultDto.cached): Swift has String, the document says boolean',
    );
    expect(problems).toContain('OCRResult.markdown (OcrResultDto.markdown): the document may leave it out');
    expect(problems).toMatch(
      /Usage\.history .*Swift has OCRLine \(OcrLineDto\), the document refers to DayUsageDto/,
    );
    expect(problems).toContain('ErrorCode: the document lists "headers_too_large" at ErrorDetailDto.code');
    expect(problems).toContain('the document has no GET /api/v1/usages');
    expect(problems).toContain('OCRRequest.colour (OcrRequestDto.colour): not in the document');
  });
});

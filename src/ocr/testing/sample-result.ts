import type { OcrResultDto } from '../dto/ocr-result.dto';

/**
 * A result of two lines, the second tilted, with text that needs escaping and a character XML
 * cannot carry, for the renderers' specs.
 */
export function sampleResult(): OcrResultDto {
  return {
    id: 'req_test',
    text: 'Fish & "Chips" <3\u0007\nTOTAL 12.50',
    lines: [
      {
        text: 'Fish & "Chips" <3\u0007',
        confidence: 0.91,
        box: [
          [10, 20],
          [300, 20],
          [300, 60],
          [10, 60],
        ],
        words: [
          {
            text: 'Fish',
            confidence: 0.99,
            box: [
              [10, 20],
              [80, 20],
              [80, 60],
              [10, 60],
            ],
          },
          {
            text: '&',
            confidence: 0.8,
            box: [
              [95, 20],
              [115, 20],
              [115, 60],
              [95, 60],
            ],
          },
          {
            text: '"Chips"',
            confidence: 0.9,
            box: [
              [130, 20],
              [250, 20],
              [250, 60],
              [130, 60],
            ],
          },
          {
            text: '<3\u0007',
            confidence: 0.95,
            box: [
              [265, 20],
              [300, 20],
              [300, 60],
              [265, 60],
            ],
          },
        ],
      },
      {
        text: 'TOTAL 12.50',
        confidence: 0.97,
        box: [
          [10.4, 100],
          [400, 90.6],
          [401, 131],
          [11, 140],
        ],
        words: [
          {
            text: 'TOTAL',
            confidence: 0.98,
            box: [
              [10.4, 100],
              [150, 96.6],
              [151, 136.6],
              [11, 140],
            ],
          },
          {
            text: '12.50',
            confidence: 0.96,
            box: [
              [250, 94.2],
              [400, 90.6],
              [401, 131],
              [251, 134.3],
            ],
          },
        ],
      },
    ],
    width: 420,
    height: 160,
    warnings: [],
    model: 'PP-OCRv4 <test>',
    device: 'cpu',
    cached: false,
    timing: { totalMs: 10, queueMs: 0, inferenceMs: 9 },
  };
}

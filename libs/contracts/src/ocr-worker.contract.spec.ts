import { NATS_QUEUE_PATTERNS, OcrPatterns } from './ocr-worker.contract';

describe('NATS_QUEUE_PATTERNS', () => {
  it('should give every piece of work to one worker of the queue group', () => {
    expect([...NATS_QUEUE_PATTERNS].sort()).toEqual(
      [OcrPatterns.recognize, OcrPatterns.inspectDocument, OcrPatterns.readDocument].sort(),
    );
  });

  it('should let every worker hear health questions and cancels', () => {
    expect(NATS_QUEUE_PATTERNS).not.toContain(OcrPatterns.health);
    expect(NATS_QUEUE_PATTERNS).not.toContain(OcrPatterns.cancel);
  });
});

export * from './ocr-worker.contract';

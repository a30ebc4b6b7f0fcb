export * from './ocr-worker.contract';
export * from './transport/framed-socket';
export * from './image/image-format';

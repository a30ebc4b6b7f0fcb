export * from './ocr-worker.contract';
export * from './transport/framed-socket';
export * from './image/image-format';
export * from './transport/nats-codec';
export * from './transport/nats-census';

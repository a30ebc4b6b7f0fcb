export * from './env-transforms';
export * from './limits';
export * from './validate-environment';
export * from './nats-url';

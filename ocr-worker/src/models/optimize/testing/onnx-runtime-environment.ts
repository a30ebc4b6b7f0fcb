import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';

const SHARED_CONSTRUCTORS = [
  'ArrayBuffer',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Uint8Array',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

/**
 * onnxruntime-node wraps its outputs in typed arrays made in Node's own realm, then checks them
 * with `instanceof` against the test sandbox's constructors, which are other objects under Jest
 * ("A float32 tensor's data must be type of function Float32Array()"). Specs that run inference
 * pick this environment with a `@jest-environment` docblock, and see the realm's constructors.
 */
export default class OnnxRuntimeEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const sandbox = this.global as unknown as Record<string, unknown>;
    for (const name of SHARED_CONSTRUCTORS) {
      sandbox[name] = globalThis[name];
    }
  }
}

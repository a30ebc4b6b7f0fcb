/**
 * Four projects: unit specs beside the code; black-box e2e specs in test/e2e/ (only HTTP, TCP and
 * the CLI of the built processes); white-box integration specs in test/integration/ (the gateway's
 * own classes against real Postgres, Redis and sockets); fault specs in test/faults/ that kill,
 * freeze and overload the processes (`npm run test:faults`).
 */
/** Dependencies published as ES modules only (see transform). */
const ESM_ONLY = ['p-map'];

const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@app/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1',
    '^@app/logging$': '<rootDir>/libs/logging/src',
    '^@app/config$': '<rootDir>/libs/config/src',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // ES-module-only dependencies: Jest on Node 20 cannot require() them (Node itself can), so
    // ts-jest compiles their JavaScript to CommonJS for the tests.
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', target: 'es2022' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src', '<rootDir>/ocr-worker/src', '<rootDir>/libs', '<rootDir>/scripts'], testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e'], testMatch: ['**/*.e2e-spec.ts'], globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts', testTimeout: 120000 },
    { ...common, displayName: 'integration', roots: ['<rootDir>/test/integration'], testMatch: ['**/*.integration-spec.ts'], globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts', testTimeout: 120000 },
    { ...common, displayName: 'faults', roots: ['<rootDir>/test/faults'], testMatch: ['**/*.fault-spec.ts'], globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts', testTimeout: 120000 },
  ],
};

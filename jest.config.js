/**
 * Three projects: unit specs beside the code; e2e specs in test/ against real processes; fault
 * specs in test/faults/ that kill, freeze and overload those processes (`npm run test:faults`).
 */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@app/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1',
    '^@app/logging$': '<rootDir>/libs/logging/src',
    '^@app/config$': '<rootDir>/libs/config/src',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src', '<rootDir>/ocr-worker/src', '<rootDir>/libs', '<rootDir>/scripts'], testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test'], testMatch: ['**/*.e2e-spec.ts'], testPathIgnorePatterns: ['/test/faults/'], globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts', testTimeout: 120000 },
    { ...common, displayName: 'faults', roots: ['<rootDir>/test/faults'], testMatch: ['**/*.fault-spec.ts'], globalSetup: '<rootDir>/test/global-setup.ts', globalTeardown: '<rootDir>/test/global-teardown.ts', testTimeout: 120000 },
  ],
};

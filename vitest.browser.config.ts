import { defineConfig } from 'vitest/config'

// Swagger UI in a real Chromium (playwright-core with the system's /usr/bin/chromium): one file at a time.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
})

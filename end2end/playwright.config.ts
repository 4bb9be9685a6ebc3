import { defineConfig } from '@playwright/test';

// The server under test: the debug build, on a throwaway SQLite database in target/e2e,
// its log captured so the first-run test can read the set-up token like a person would.
export const PORT = Number(process.env.E2E_PORT ?? 3311);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
export const E2E_DIR = '../target/e2e';

export default defineConfig({
  testDir: './tests',
  // One server and one database: tests run in order, the first-run project first.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: BASE_URL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'first-run', testMatch: /first-run\.spec\.ts/ },
    { name: 'app', testIgnore: /first-run\.spec\.ts/, dependencies: ['first-run'] },
  ],
  webServer: {
    command: `bash -c 'rm -rf ${E2E_DIR} && mkdir -p ${E2E_DIR} && exec ../target/debug/mandate serve > ${E2E_DIR}/server.log 2>&1'`,
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      MANDATE_ADDR: `127.0.0.1:${PORT}`,
      DATABASE_URL: `sqlite://${E2E_DIR}/mandate.db?mode=rwc`,
      MANDATE_DATA_DIR: E2E_DIR,
      MANDATE_SITE_ROOT: '../target/site',
      MANDATE_LOG: 'info',
    },
  },
});

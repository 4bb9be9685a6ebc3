import { expect, Page } from '@playwright/test';
import { OWNER } from './fixtures';
import { LoginPage } from './pages/login';
import { OverviewPage } from './pages/overview';

/** Signs in as the owner created by the first-run test and waits for the overview. */
export async function signInAsOwner(page: Page) {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(OWNER.email, OWNER.password);
  await new OverviewPage(page).expectOpen();
}

/** Calls a server function with the signed-in browser's session (form-encoded, or JSON). */
export async function serverFn(page: Page, name: string, body: Record<string, string>, json?: unknown) {
  const res = json
    ? await page.request.post(`/api/${name}`, { data: json })
    : await page.request.post(`/api/${name}`, { form: body });
  expect(res.ok(), `${name}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

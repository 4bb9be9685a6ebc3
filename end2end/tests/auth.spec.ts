import { test, expect } from '@playwright/test';
import { OWNER } from '../fixtures';
import { LoginPage } from '../pages/login';
import { OverviewPage } from '../pages/overview';

test('the owner signs in, signs out, and is signed out for real', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(OWNER.email, OWNER.password);

  const overview = new OverviewPage(page);
  await overview.expectOpen();
  await overview.expectSignedInAs(OWNER.name, OWNER.org);
  await expect(overview.recentActivity()).toContainText('Signed in');

  await overview.signOut();
  await login.expectOpen();

  // The old session is gone: the overview asks for sign-in again.
  await page.goto('/');
  await login.expectOpen();
});

test('a wrong password shows a clear error and does not sign in', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(OWNER.email, 'this is not the password');
  await expect(login.formError()).toHaveText('Email or password is wrong.');
  await login.expectOpen();

  // The same message for an email that does not exist: nothing is revealed.
  await login.signIn('nobody@example.com', OWNER.password);
  await expect(login.formError()).toHaveText('Email or password is wrong.');
});

test('a signed-out visitor who opens a page is sent to sign-in and back afterwards', async ({ page }) => {
  await page.goto('/');
  const login = new LoginPage(page);
  await login.expectOpen();
  await login.waitForHydration();
  await login.signIn(OWNER.email, OWNER.password);
  await new OverviewPage(page).expectOpen();
});

test('an unknown address shows a helpful not-found page', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(OWNER.email, OWNER.password);
  await new OverviewPage(page).expectOpen();
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to the overview' }).click();
  await new OverviewPage(page).expectOpen();
});

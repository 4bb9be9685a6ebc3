import { test, expect } from '@playwright/test';
import { OWNER } from '../fixtures';
import { BASE_URL } from '../playwright.config';
import { signInAsOwner } from '../helpers';
import { CLIENT_ID, CLIENT_SECRET, OidcProvider } from '../oidc-provider';
import { LoginPage } from '../pages/login';
import { OverviewPage } from '../pages/overview';
import { SsoPage } from '../pages/sso';

// A real OpenID Connect provider on a local port (RS256 tokens from a key made at start).
const provider = new OidcProvider();
test.beforeAll(async () => provider.start());
test.afterAll(async () => provider.stop());

test.describe.configure({ mode: 'serial' });

test('an Owner sets up single sign-on and a new colleague signs in through the provider', async ({ page }) => {
  await signInAsOwner(page);
  await page.getByRole('link', { name: 'Single sign-on' }).click();
  const sso = new SsoPage(page);
  await sso.waitForHydration();
  await expect(sso.redirectUrl()).toHaveText(`${BASE_URL}/auth/oidc/callback`);
  await expect(sso.status()).toContainText('Not set up');

  // A mistake is pointed at, and nothing typed is lost.
  await sso.fill({ name: 'Test IdP', issuer: 'idp.example.com', clientId: CLIENT_ID, secret: CLIENT_SECRET, domains: 'acme.test' });
  await sso.anyoneAtTheDomainsAs('Viewer');
  await sso.save();
  await expect(sso.fieldError('issuer_url')).toContainText('issuer URL');
  await expect(sso.field('Provider name')).toHaveValue('Test IdP');
  await expect(sso.domains()).toHaveValue('acme.test');

  await sso.field('Issuer URL').fill(provider.issuer);
  await sso.save();
  await expect(sso.notice()).toHaveText('Single sign-on saved.');
  await expect(sso.status()).toContainText('On: people sign in with Test IdP or with a password.');
  // The secret is never shown again: only replaced.
  await expect(page.getByLabel('Replace client secret', { exact: true })).toHaveValue('');
  await sso.signOut();

  // A colleague nobody invited types their work email and signs in through the provider.
  provider.next = { email: 'newcomer@acme.test', name: 'Nia Newcomer' };
  const login = new LoginPage(page);
  await login.expectOpen();
  await login.waitForHydration();
  await page.getByLabel('Single sign-on', { exact: true }).fill('newcomer@acme.test');
  await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await expect(page.getByText(`${OWNER.org} signs in with Test IdP.`)).toBeVisible();
  await page.getByTestId('sso-sign-in').click();
  const overview = new OverviewPage(page);
  await overview.expectOpen();
  await overview.expectSignedInAs('Nia Newcomer', OWNER.org);
  await overview.signOut();
  await login.expectOpen();
});

test('with password sign-in off the Owner still gets in through the break-glass form', async ({ page }) => {
  await signInAsOwner(page);
  const sso = new SsoPage(page);
  await sso.goto();
  await page.getByTestId('sso-password-off').check();
  await sso.save();
  await expect(sso.status()).toContainText('Password sign-in is off except for Owners.');
  const link = (await sso.signInUrl().textContent()) ?? '';
  await sso.signOut();

  // The org's sign-in page leads with the provider; the password form is folded away.
  await page.goto(link.replace('/auth/oidc/start?org=', '/login?org='));
  const login = new LoginPage(page);
  await login.waitForHydration();
  await expect(page.getByTestId('sso-sign-in')).toHaveText('Sign in with Test IdP');
  await expect(page.getByLabel('Password', { exact: true })).toBeHidden();
  await page.getByText('Owner? Sign in with a password').click();
  await login.field('Email').fill(OWNER.email);
  await login.field('Password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const overview = new OverviewPage(page);
  await overview.expectOpen();

  // Leave the organisation as the other tests expect it: passwords for everyone.
  await sso.goto();
  await sso.remove();
  await expect(sso.status()).toContainText('Not set up');
});

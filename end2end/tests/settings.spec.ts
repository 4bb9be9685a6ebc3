import { test, expect } from '@playwright/test';
import { signInAsOwner } from '../helpers';

// Europe/London is UTC in December: the spend journeys that run later count the same days.
test('an owner sets the org profile and a preference; a person sees it inherited with its source', async ({ page }) => {
  await signInAsOwner(page);
  await page.goto('/org/settings');
  await page.locator('#root[data-hydrated="true"]').waitFor();
  const profile = page.getByTestId('org-profile');
  await profile.getByLabel('Time zone', { exact: true }).selectOption('Europe/London');
  await profile.getByLabel('Contact phone', { exact: true }).fill('call me');
  await profile.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#field-contact_phone-error')).toContainText('phone number');
  // Nothing typed is lost.
  await expect(profile.getByLabel('Time zone', { exact: true })).toHaveValue('Europe/London');
  await profile.getByLabel('Contact phone', { exact: true }).fill('+44 20 7946 0000');
  await profile.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('settings-notice')).toBeVisible();
  await page.reload();
  await page.locator('#root[data-hydrated="true"]').waitFor();
  await expect(page.getByTestId('org-profile').getByLabel('Time zone', { exact: true })).toHaveValue('Europe/London');

  // The org's date format, inherited by everyone who did not choose.
  const prefs = page.getByTestId('preferences');
  await expect(page.getByTestId('prefs-save')).toBeEnabled();
  await prefs.getByLabel('Date format', { exact: true }).selectOption('dmy');
  await page.getByTestId('prefs-save').click();
  await expect(page.getByTestId('prefs-saved')).toBeVisible();
  await page.screenshot({ path: 'test-results/review/org-settings.png', fullPage: true });

  await page.goto('/account');
  await page.locator('#root[data-hydrated="true"]').waitFor();
  const mine = page.getByTestId('preferences');
  await expect(mine.getByLabel('Date format', { exact: true }).locator('option').first())
    .toHaveText('Inherit (31.12.2026, from the organisation)');
  await expect(mine.getByLabel('Time zone', { exact: true }).locator('option').first())
    .toHaveText("Inherit (Europe/London, from the organisation's profile)");
  // Times on the pages are now written that way: day first, in London time.
  await expect(page.getByTestId('session-row').first()).toContainText(/\d\d\.\d\d\.\d{4} \d\d:\d\d/);
});

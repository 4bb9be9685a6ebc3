import { test, expect } from '@playwright/test';
import { signInAsOwner } from '../helpers';

// The vault: a refused save keeps what was typed and names the field; a saved secret is
// listed with where it is kept and who set it, never with its value; it can be replaced and
// removed.
test('an owner keeps a secret in the vault and never sees its value again', async ({ page }) => {
  const value = 'carrier-token-e2e-7d1c9b';
  await signInAsOwner(page);
  await page.goto('/org/secrets');
  await page.locator('#root[data-hydrated="true"]').waitFor();
  await expect(page.getByRole('heading', { name: 'Secrets', level: 1 })).toBeVisible();
  const form = page.getByTestId('secret-form');
  await form.getByLabel('Kept for', { exact: true }).selectOption({ label: 'The whole organisation' });
  await form.getByLabel('Name', { exact: true }).fill('carrier token');
  await form.getByLabel('Value', { exact: true }).fill(value);
  await page.getByTestId('secret-save').click();
  await expect(page.locator('#field-name-error')).toContainText('capital letters');
  await expect(form.getByLabel('Value', { exact: true })).toHaveValue(value);

  await form.getByLabel('Name', { exact: true }).fill('CARRIER_TOKEN');
  await form.getByLabel('Description (optional)', { exact: true }).fill('Carrier API for labels');
  await page.getByTestId('secret-save').click();
  await expect(page.getByTestId('secrets-saved')).toContainText('{{secrets.CARRIER_TOKEN}}');
  await expect(form.getByLabel('Value', { exact: true })).toHaveValue('');
  const row = page.getByTestId('secret-row').filter({ hasText: 'CARRIER_TOKEN' });
  await expect(row).toContainText('The whole organisation');
  await expect(row).toContainText('Carrier API for labels');
  await expect(page.locator('body')).not.toContainText(value);
  await page.screenshot({ path: 'test-results/review/secrets.png', fullPage: true });

  await row.getByTestId('replace-secret').click();
  await row.getByLabel('New value for CARRIER_TOKEN').fill('carrier-token-e2e-second');
  await row.getByRole('button', { name: 'Save new value' }).click();
  await expect(page.getByTestId('secrets-notice')).toContainText('New value saved for CARRIER_TOKEN');
  await expect(page.locator('body')).not.toContainText('carrier-token-e2e-second');

  const again = page.getByTestId('secret-row').filter({ hasText: 'CARRIER_TOKEN' });
  await again.getByText('Remove…').click();
  await again.getByTestId('confirm-remove-secret').click();
  await expect(page.getByTestId('secrets-notice')).toContainText('Secret removed');
  await expect(page.getByTestId('secret-row').filter({ hasText: 'CARRIER_TOKEN' })).toHaveCount(0);
});

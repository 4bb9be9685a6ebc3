import { test, expect } from '@playwright/test';
import { signInAsOwner, serverFn } from '../helpers';
import { StoreActionsPage } from '../pages/store-actions';

// The configuration as a file: an Owner sets the org's time zone and their own notification
// channel, downloads the configuration, changes a limit, then imports the file: the preview
// says, in plain words, that the limit goes back; applying it brings it back.
test('an owner exports the configuration, changes a limit and imports the file to undo it', async ({ page }) => {
  await signInAsOwner(page);
  const storeName = `Config Shop ${Date.now()}`;
  const store = await serverFn(page, 'stores_create', { name: storeName, currency: 'EUR', team_id: '' });
  await serverFn(page, 'permissions_limit_save', {}, {
    input: { scope_type: 'store', scope_id: store.id, action_type: 'process_refund', limit_type: 'max_amount', limit_value: '50' },
  });

  // The org's time zone (Europe/London, as the settings journey leaves it) and a channel of the Owner's.
  await page.goto('/org/settings');
  await page.locator('#root[data-hydrated="true"]').waitFor();
  const profile = page.getByTestId('org-profile');
  await profile.getByLabel('Time zone', { exact: true }).selectOption('Europe/London');
  await profile.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('settings-notice')).toBeVisible();
  // The Owner's channel for approvals (through the account page's server function: the
  // /account page itself is the known-flaky one right after sign-in, see spend.spec.ts).
  await serverFn(page, 'preferences_save', {}, {
    entity_type: 'user', entity_id: null,
    settings: { notifications: { channels: { approval_waiting: ['in_app', 'email'] } } },
  });

  // Download the configuration from Settings → Export and import.
  await page.goto('/org/settings');
  await page.getByTestId('config-link').click();
  await expect(page.getByRole('heading', { name: 'Export and import configuration', level: 1 })).toBeVisible();
  await page.locator('#root[data-hydrated="true"]').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('config-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^mandate-config-.*\.json$/);
  const file = test.info().outputPath('config.json');
  await download.saveAs(file);

  // The limit changes on the store's page.
  const actions = new StoreActionsPage(page);
  await actions.goto(store.id);
  const form = actions.limitForm('process_refund');
  await form.getByLabel('Kind', { exact: true }).selectOption('max_amount');
  await form.getByLabel('Value', { exact: true }).fill('80');
  await form.getByLabel('When exceeded', { exact: true }).selectOption({ label: 'Refuse' });
  await form.getByRole('button', { name: 'Add limit' }).click();
  await expect(actions.row('process_refund')).toContainText('80.00 EUR');

  // Import the file: the preview says the limit goes back to 50; nothing else changes.
  await page.goto('/org/settings/config');
  await page.locator('#root[data-hydrated="true"]').waitFor();
  await page.getByTestId('config-file').setInputFiles(file);
  const diff = page.getByTestId('config-diff');
  await expect(diff).toContainText(`Store \u201c${storeName}\u201d`);
  await expect(diff).toContainText('largest amount per action (refused above it) changes from 80.00 EUR to 50.00 EUR');
  await expect(page.getByTestId('config-diff-object')).toHaveCount(1);
  await page.screenshot({ path: 'test-results/review/config-import.png', fullPage: true });
  await page.getByTestId('config-apply').click();
  await expect(page.getByTestId('config-applied')).toHaveText('Applied: 0 added, 1 changed, 0 removed.');

  // The limit is back.
  await actions.goto(store.id);
  await expect(actions.row('process_refund')).toContainText('50.00 EUR');
  await expect(actions.row('process_refund')).not.toContainText('80.00 EUR');
});

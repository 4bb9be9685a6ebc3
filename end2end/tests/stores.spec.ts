import { test, expect, Page } from '@playwright/test';
import { OverviewPage } from '../pages/overview';
import { PeoplePage } from '../pages/people';
import { OutboxPage } from '../pages/outbox';
import { InvitePage } from '../pages/invite';
import { StoresPage } from '../pages/stores';
import { StoreActionsPage } from '../pages/store-actions';
import { AssistantsPage } from '../pages/assistants';
import { signInAsOwner } from '../helpers';

/** The owner creates a store in EUR on /stores; returns its id. */
async function createStore(page: Page, name: string): Promise<string> {
  const stores = new StoresPage(page);
  await stores.goto();
  await stores.create(name, 'EUR');
  await expect(stores.row(name).getByTestId('store-currency')).toHaveText('EUR');
  return stores.storeId(name);
}

const REFUND = 'process_refund';
const REFUND_NAME = 'Refund a payment';

/** Refunds on, no blanket confirmation, then "auto up to 50, staff confirm up to 100, refuse above". */
async function allowRefundsUpTo100ConfirmAbove50(actions: StoreActionsPage) {
  await actions.setEnabled(REFUND, true);
  await actions.setRequiresConfirmation(REFUND, false);
  await actions.addLimit(REFUND, { kind: 'max_amount', value: '100', whenExceeded: 'Refuse' });
  await actions.addLimit(REFUND, { kind: 'max_amount', value: '50', whenExceeded: 'Ask staff to confirm' });
}

/** A refund of `amount` on a 200 EUR order, in the Try it panel. */
async function tryRefund(actions: StoreActionsPage, amount: string) {
  await actions.tryIt(REFUND_NAME, { Order: 'A-1001', Amount: amount, 'Order total': '200' });
}

test('a merchant enables refunds, caps them at 100 with staff confirmation above 50, and Try it agrees', async ({ page }) => {
  await signInAsOwner(page);
  await createStore(page, 'Refund Shop');
  await new StoresPage(page).openActions('Refund Shop');

  const actions = new StoreActionsPage(page);
  await actions.expectOpen();
  // A new store starts with refunds off and asking for confirmation (the built-in defaults).
  await expect(actions.enabledToggle(REFUND)).not.toBeChecked();
  await expect(actions.confirmToggle(REFUND)).toBeChecked();
  // Before any change, Try it refuses: the action is off.
  await tryRefund(actions, '30');
  await expect(actions.tryOutcome()).toHaveAttribute('data-outcome', 'deny');
  await expect(actions.tryReason()).toContainText('turned off');

  await allowRefundsUpTo100ConfirmAbove50(actions);
  // Both limits are listed in plain words (in whatever order the page keeps them).
  await expect(actions.limitRows(REFUND)).toHaveCount(2);
  await expect(actions.limitRows(REFUND).filter({ hasText: 'Amounts above 100.00 EUR are refused.' })).toHaveCount(1);
  await expect(actions.limitRows(REFUND).filter({ hasText: 'Amounts above 50.00 EUR need staff confirmation.' })).toHaveCount(1);

  // Saved for real: a reload shows the same settings.
  await page.reload();
  await actions.expectOpen();
  await expect(actions.enabledToggle(REFUND)).toBeChecked();
  await expect(actions.confirmToggle(REFUND)).not.toBeChecked();
  await expect(actions.limitRows(REFUND)).toHaveCount(2);

  await tryRefund(actions, '30');
  await expect(actions.tryOutcome()).toHaveAttribute('data-outcome', 'allow');
  await expect(actions.tryOutcome()).toContainText('Allowed');

  await tryRefund(actions, '80');
  await expect(actions.tryOutcome()).toHaveAttribute('data-outcome', 'confirm');
  await expect(actions.tryOutcome()).toContainText('Needs confirmation by staff');
  await expect(actions.tryReason()).toContainText('50.00');

  await tryRefund(actions, '120');
  await expect(actions.tryOutcome()).toHaveAttribute('data-outcome', 'deny');
  await expect(actions.tryOutcome()).toContainText('Refused');
  await expect(actions.tryReason()).toContainText('100');
  await expect(actions.tryTrace()).toContainText('max_amount');

  await page.screenshot({ path: 'test-results/review/store-actions.png', fullPage: true });
});

test('unticking an action for an assistant drops it from the tools preview', async ({ page }) => {
  await signInAsOwner(page);
  await createStore(page, 'Assistant Shop');
  await new StoresPage(page).openAssistants('Assistant Shop');

  const assistants = new AssistantsPage(page);
  await assistants.expectOpen();
  await assistants.create('Support chat');

  // A new assistant gets the store's default actions: looking up orders is on, so it is a tool.
  await expect(assistants.allowedAction('Support chat', 'lookup_order')).toBeChecked();
  await expect(assistants.tool('Support chat', 'lookup_order')).toContainText('Look up an order');
  await expect(assistants.tool('Support chat', 'send_tracking')).toBeVisible();

  await assistants.setAllowed('Support chat', 'lookup_order', false);
  await expect(assistants.tool('Support chat', 'lookup_order')).toHaveCount(0);
  // Only that tool went away.
  await expect(assistants.tool('Support chat', 'send_tracking')).toBeVisible();

  // Saved for real: still gone after a reload.
  await page.reload();
  await assistants.expectOpen();
  await expect(assistants.allowedAction('Support chat', 'lookup_order')).not.toBeChecked();
  await expect(assistants.tool('Support chat', 'send_tracking')).toBeVisible();
  await expect(assistants.tool('Support chat', 'lookup_order')).toHaveCount(0);

  await page.screenshot({ path: 'test-results/review/store-assistants.png', fullPage: true });
});

test('a Viewer sees the actions page read-only, and Try it still answers', async ({ page, browser }) => {
  await signInAsOwner(page);
  const storeId = await createStore(page, 'Viewer Shop');
  const actions = new StoreActionsPage(page);
  await actions.goto(storeId);
  await allowRefundsUpTo100ConfirmAbove50(actions);

  // The owner invites a Viewer; the invitation waits in the outbox.
  const people = new PeoplePage(page);
  await people.goto();
  await people.invite('linus@example.com', 'Linus Pauling', 'Viewer');
  const outbox = new OutboxPage(page);
  await outbox.goto();
  const link = await outbox.linkSentTo('linus@example.com');

  // Linus, in his own browser, accepts and opens the store's actions.
  const context = await browser.newContext();
  const viewerPage = await context.newPage();
  const invite = new InvitePage(viewerPage);
  await invite.open(link);
  await invite.accept('quiet orbital chemistry');
  await new OverviewPage(viewerPage).expectOpen();

  const viewer = new StoreActionsPage(viewerPage);
  await viewer.goto(storeId);
  await expect(viewer.readOnlyNotice()).toContainText('You can see these settings but not change them');
  // He sees the store's real settings...
  await expect(viewer.enabledToggle(REFUND)).toBeChecked();
  await expect(viewer.confirmToggle(REFUND)).not.toBeChecked();
  await expect(viewer.limitRows(REFUND).filter({ hasText: 'Amounts above 100.00 EUR are refused.' })).toHaveCount(1);
  await expect(viewer.limitRows(REFUND)).toHaveCount(2);
  // ...but cannot change them: every switch is disabled, and there is no limit form nor remove button.
  await expect(viewer.enabledToggle(REFUND)).toBeDisabled();
  await expect(viewer.confirmToggle(REFUND)).toBeDisabled();
  await expect(viewer.enabledToggle('lookup_order')).toBeDisabled();
  await expect(viewerPage.getByRole('switch').and(viewerPage.locator(':enabled'))).toHaveCount(0);
  await expect(viewerPage.locator('[data-testid^="limit-form-"]')).toHaveCount(0);
  await expect(viewerPage.getByRole('button', { name: 'Add limit' })).toHaveCount(0);
  await expect(viewer.limitRows(REFUND).getByRole('button')).toHaveCount(0);

  // Try it changes nothing, so a Viewer may use it, and it sees the owner's limits.
  await tryRefund(viewer, '120');
  await expect(viewer.tryOutcome()).toHaveAttribute('data-outcome', 'deny');
  await expect(viewer.tryReason()).toContainText('100');
  await tryRefund(viewer, '30');
  await expect(viewer.tryOutcome()).toHaveAttribute('data-outcome', 'allow');

  await context.close();
});

import { Locator, expect } from '@playwright/test';
import { AppShell } from './shell';

export type Limit = {
  /** The option text of "Kind", e.g. the label of max_amount, or its value. */
  kind: 'max_amount' | 'max_percentage' | 'max_count' | 'max_total_amount';
  value: string;
  /** "Refuse" or "Ask staff to confirm". */
  whenExceeded: 'Refuse' | 'Ask staff to confirm';
  windowHours?: string;
  perCustomer?: boolean;
};

/** An input's accessible name: required fields add " (required)" for screen readers. */
function labelled(label: string) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}( \\(required\\))?$`);
}

/** /stores/:id/actions: each action's switches and limits, and the Try it panel. */
export class StoreActionsPage extends AppShell {
  async goto(storeId: string) {
    await this.page.goto(`/stores/${storeId}/actions`);
    await this.expectOpen();
  }

  async expectOpen() {
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Actions', level: 1 })).toBeVisible();
  }

  /** An action's card, by its catalog id. */
  row(action: string) {
    return this.page.getByTestId(`action-row-${action}`);
  }

  enabledToggle(action: string) {
    return this.row(action).getByRole('switch', { name: 'Enabled', exact: true });
  }

  confirmToggle(action: string) {
    return this.row(action).getByRole('switch', { name: 'Ask for confirmation first', exact: true });
  }

  saveStatus(action: string) {
    return this.page.getByTestId(`save-status-${action}`);
  }

  limitForm(action: string) {
    return this.page.getByTestId(`limit-form-${action}`);
  }

  limitRows(action: string) {
    return this.row(action).getByTestId('limit-row');
  }

  readOnlyNotice() {
    return this.page.getByTestId('read-only-notice');
  }

  /** Flips a switch like a person would (a click) and waits for the card to say it saved. */
  private async setSwitch(toggle: Locator, action: string, on: boolean) {
    await expect(toggle).toBeEnabled();
    if ((await toggle.isChecked()) !== on) await toggle.click();
    await expect(this.saveStatus(action)).toHaveText('✓ Saved');
    await expect(toggle).toBeChecked({ checked: on });
  }

  async setEnabled(action: string, on: boolean) {
    await this.setSwitch(this.enabledToggle(action), action, on);
  }

  async setRequiresConfirmation(action: string, on: boolean) {
    await this.setSwitch(this.confirmToggle(action), action, on);
  }

  async addLimit(action: string, limit: Limit) {
    const form = this.limitForm(action);
    const before = await this.limitRows(action).count();
    await form.getByLabel('Kind', { exact: true }).selectOption(limit.kind);
    await form.getByLabel('Value', { exact: true }).fill(limit.value);
    if (limit.windowHours !== undefined) await form.getByLabel('Window (hours)', { exact: true }).fill(limit.windowHours);
    await form.getByLabel('When exceeded', { exact: true }).selectOption({ label: limit.whenExceeded });
    if (limit.perCustomer) await form.getByLabel('Count each customer separately').check();
    await form.getByRole('button', { name: 'Add limit' }).click();
    await expect(form.getByRole('status')).toHaveText('Limit added.');
    await expect(this.limitRows(action)).toHaveCount(before + 1);
  }

  // ---- Try it

  tryPanel() {
    return this.page.getByTestId('try-it');
  }

  /** Fills the Try it form (inputs by their visible labels) and asks. */
  async tryIt(actionName: string, inputs: Record<string, string>, assistant = 'None: the store\'s settings only') {
    const panel = this.tryPanel();
    await panel.getByLabel('Assistant', { exact: true }).selectOption({ label: assistant });
    await panel.getByLabel('Action', { exact: true }).selectOption({ label: actionName });
    for (const [label, value] of Object.entries(inputs)) {
      await panel.getByRole('textbox', { name: labelled(label) }).fill(value);
    }
    await panel.getByRole('button', { name: 'Try it' }).click();
  }

  tryOutcome() {
    return this.page.getByTestId('try-outcome');
  }

  tryReason() {
    return this.page.getByTestId('try-reason');
  }

  tryTrace() {
    return this.page.getByTestId('try-trace');
  }
}

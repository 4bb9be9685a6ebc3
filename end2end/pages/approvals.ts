import { expect } from '@playwright/test';
import { AppShell } from './shell';

/** /approvals: actions waiting for a person, one card each, with Approve and Reject. */
export class ApprovalsPage extends AppShell {
  async goto() {
    await this.page.goto('/approvals');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  }

  /** The card of one action, by its id. */
  card(actionId: string) {
    return this.page.locator(`[data-testid="approval-card"][data-action-id="${actionId}"]`);
  }

  cards() {
    return this.page.getByTestId('approval-card');
  }

  notice() {
    return this.page.getByTestId('approvals-notice');
  }

  empty() {
    return this.page.getByTestId('approvals-empty');
  }

  /** The navigation entry "Approvals", with its badge of waiting actions. */
  navLink() {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Approvals/ });
  }

  badge() {
    return this.page.getByTestId('approvals-badge');
  }

  async approve(actionId: string) {
    await this.card(actionId).getByTestId('approve-button').click();
    await expect(this.notice()).toContainText('Approved');
    await expect(this.card(actionId)).toHaveCount(0);
  }

  async reject(actionId: string) {
    await this.card(actionId).getByTestId('reject-button').click();
    await expect(this.notice()).toHaveText('Rejected');
    await expect(this.card(actionId)).toHaveCount(0);
  }
}

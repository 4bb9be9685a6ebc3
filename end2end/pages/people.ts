import { expect } from '@playwright/test';
import { AppShell } from './shell';
import { selectByText } from './base';

export class PeoplePage extends AppShell {
  async goto() {
    await this.page.goto('/org/users');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'People', level: 1 })).toBeVisible();
  }

  async invite(email: string, name: string, role = 'Viewer') {
    await this.page.getByTestId('invite-open').click();
    const form = this.page.locator('form.invite-form');
    await form.getByLabel('Email', { exact: true }).fill(email);
    await form.getByLabel('Name', { exact: true }).fill(name);
    await selectByText(this.page, '#invite-role', role);
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await expect(this.page.getByTestId('invite-sent')).toBeVisible();
  }

  row(email: string) {
    return this.page.locator(`[data-testid="person-row"][data-email="${email}"]`);
  }
}

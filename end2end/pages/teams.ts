import { expect } from '@playwright/test';
import { AppShell } from './shell';
import { selectByText } from './base';

export class TeamsPage extends AppShell {
  async goto() {
    await this.page.goto('/org/teams');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Teams', level: 1 })).toBeVisible();
  }

  async create(name: string, inside?: string) {
    const form = this.page.getByTestId('create-team-form');
    await form.getByLabel('Name', { exact: true }).fill(name);
    if (inside) await selectByText(this.page, '#new-team-parent', inside);
    await form.getByRole('button', { name: 'Create team' }).click();
    await expect(this.page.getByTestId('teams-notice')).toContainText(name);
  }

  /** A team's node in the tree. */
  node(name: string) {
    return this.page.getByTestId('team-node').filter({ has: this.page.getByTestId('team-name').getByText(name, { exact: true }) }).first();
  }
}

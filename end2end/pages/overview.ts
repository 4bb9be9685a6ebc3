import { expect } from '@playwright/test';
import { AppShell } from './shell';

export class OverviewPage extends AppShell {
  async goto() {
    await this.page.goto('/');
    await this.waitForHydration();
  }

  async expectOpen() {
    await expect(this.page).toHaveURL(/\/$/);
    await expect(this.page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  }

  chainStatus() {
    return this.page.getByTestId('chain-status');
  }

  nextSteps() {
    return this.page.getByRole('region', { name: 'What to do next' });
  }

  recentActivity() {
    return this.page.getByRole('region', { name: 'Recent activity' });
  }
}

import { expect } from '@playwright/test';
import { BasePage } from './base';

/** The signed-in layout: navigation and the account menu. */
export class AppShell extends BasePage {
  async expectSignedInAs(name: string, org: string) {
    await expect(this.page.getByTestId('account-menu')).toContainText(name);
    await expect(this.page.getByRole('complementary')).toContainText(org);
  }

  async signOut() {
    await this.waitForHydration();
    await this.page.getByTestId('account-menu').click();
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    // Signing out ends on the sign-in page; a test that opens another page right away
    // must not race the navigation still under way.
    await expect(this.page).toHaveURL(/\/login/);
    await this.page.locator('#root[data-hydrated="true"]').waitFor();
  }
}

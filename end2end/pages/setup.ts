import { expect } from '@playwright/test';
import { BasePage } from './base';

export class SetupPage extends BasePage {
  async goto(token?: string) {
    await this.page.goto(token ? `/setup?token=${token}` : '/setup');
    await this.waitForHydration();
  }

  async expectOpen() {
    await expect(this.page).toHaveURL(/\/setup/);
    await expect(this.page.getByRole('heading', { name: 'Set up Mandate' })).toBeVisible();
  }

  async submit(values: { token?: string; org: string; name: string; email: string; password: string; confirm?: string }) {
    if (values.token !== undefined) await this.field('Set-up token').fill(values.token);
    await this.field('Organisation name').fill(values.org);
    await this.field('Your name').fill(values.name);
    await this.field('Your email').fill(values.email);
    await this.field('Password').fill(values.password);
    await this.field('Repeat the password').fill(values.confirm ?? values.password);
    await this.page.getByRole('button', { name: 'Create organisation' }).click();
  }
}

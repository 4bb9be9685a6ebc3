import { expect } from '@playwright/test';
import { BasePage } from './base';

export class InvitePage extends BasePage {
  async open(link: string) {
    await this.page.goto(link);
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: /^Join / })).toBeVisible();
  }

  async accept(password: string) {
    await this.field('Password').fill(password);
    await this.field('Repeat the password').fill(password);
    await this.page.getByRole('button', { name: 'Set password and sign in' }).click();
  }
}

import { expect } from '@playwright/test';
import { BasePage } from './base';

export class LoginPage extends BasePage {
  async goto() {
    await this.page.goto('/login');
    await this.waitForHydration();
  }

  async expectOpen() {
    await expect(this.page).toHaveURL(/\/login/);
    await expect(this.page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  }

  async signIn(email: string, password: string) {
    await this.field('Email').fill(email);
    await this.field('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }
}

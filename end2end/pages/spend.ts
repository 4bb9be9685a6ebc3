import { expect } from '@playwright/test';
import { AppShell } from './shell';

export interface QuotaFields {
  name: string;
  whose: string;
  whatFor?: string;
  count?: 'Money spent' | 'How many times';
  limit: string;
  currency?: string;
  per?: 'Day' | 'Week (from Monday)' | 'Month';
  atLimit?: 'Block at the limit' | 'Alert only';
  alertAt?: string;
}

/** /org/quotas: the quota editor. */
export class QuotasPage extends AppShell {
  async goto() {
    await this.page.goto('/org/quotas');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Quotas', level: 1 })).toBeVisible();
  }

  newForm() {
    return this.page.locator('section', { has: this.page.getByRole('heading', { name: 'Add a quota' }) }).getByTestId('quota-form');
  }

  /** Fills the "Add a quota" form as a person would (the owner picked by name) and saves it. */
  async fill(f: QuotaFields) {
    const form = this.newForm();
    await form.getByLabel('Name', { exact: true }).fill(f.name);
    const whose = form.getByLabel('Whose spend', { exact: true });
    const value = await whose.locator('option', { hasText: f.whose }).first().getAttribute('value');
    if (value === null) throw new Error(`no owner "${f.whose}" offered`);
    await whose.selectOption(value);
    if (f.whatFor) await form.getByLabel('What it was for', { exact: true }).selectOption({ label: f.whatFor });
    if (f.count) await form.getByLabel('Count', { exact: true }).selectOption({ label: f.count });
    await form.getByLabel('Limit', { exact: true }).fill(f.limit);
    if (f.currency !== undefined) await form.getByLabel('Currency', { exact: true }).fill(f.currency);
    if (f.per) await form.getByLabel('Per', { exact: true }).selectOption({ label: f.per });
    if (f.atLimit) await form.getByLabel('At the limit', { exact: true }).selectOption({ label: f.atLimit });
    if (f.alertAt !== undefined) await form.getByLabel('Alert at (% of the limit)', { exact: true }).fill(f.alertAt);
  }

  async save() {
    await this.newForm().getByTestId('quota-save').click();
  }

  notice() {
    return this.page.getByTestId('quota-notice');
  }

  quota(name: string) {
    return this.page.getByTestId('quota').filter({ has: this.page.getByRole('heading', { name, exact: true }) });
  }
}

/** /org/usage: the usage dashboard. */
export class UsagePage extends AppShell {
  async goto(period?: 'day' | 'week' | 'month') {
    await this.page.goto(period ? `/org/usage?period=${period}` : '/org/usage');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Usage', level: 1 })).toBeVisible();
  }

  spend() {
    return this.page.getByTestId('usage-spend');
  }

  spendTable() {
    return this.page.getByTestId('usage-spend-table');
  }

  burn(name: string) {
    return this.page.getByTestId('burn').filter({ has: this.page.getByRole('heading', { name }) });
  }
}

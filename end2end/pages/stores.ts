import { expect } from '@playwright/test';
import { AppShell } from './shell';

/** /stores: the stores the viewer can see, and the form that creates one. */
export class StoresPage extends AppShell {
  async goto() {
    await this.page.goto('/stores');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Stores', level: 1 })).toBeVisible();
  }

  async create(name: string, currency = 'EUR') {
    const form = this.page.getByTestId('create-store-form');
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Currency', { exact: true }).fill(currency);
    await form.getByRole('button', { name: 'Create store' }).click();
    await expect(this.page.getByTestId('stores-notice')).toContainText(`Store “${name}” created`);
    await expect(this.row(name)).toBeVisible();
  }

  /** A store's row in the list, by its exact name. */
  row(name: string) {
    return this.page
      .getByTestId('store-row')
      .filter({ has: this.page.getByTestId('store-name').getByText(name, { exact: true }) })
      .first();
  }

  async storeId(name: string): Promise<string> {
    const id = await this.row(name).getAttribute('data-store-id');
    if (!id) throw new Error(`no data-store-id on the row of "${name}"`);
    return id;
  }

  async openActions(name: string) {
    await this.row(name).getByRole('link', { name: 'Actions', exact: true }).click();
    await expect(this.page).toHaveURL(/\/stores\/[^/]+\/actions$/);
  }

  async openAssistants(name: string) {
    await this.row(name).getByRole('link', { name: 'Assistants', exact: true }).click();
    await expect(this.page).toHaveURL(/\/stores\/[^/]+\/assistants$/);
  }
}

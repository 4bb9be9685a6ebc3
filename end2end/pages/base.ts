import { Page, expect } from '@playwright/test';

/** Every page object waits for hydration before acting, so clicks reach live handlers. */
export abstract class BasePage {
  constructor(protected readonly page: Page) {}

  async waitForHydration() {
    await expect(this.page.locator('#root')).toHaveAttribute('data-hydrated', 'true');
  }

  /** A form field by its visible label. */
  field(label: string) {
    return this.page.getByLabel(label, { exact: true });
  }

  /** The inline error under a field, found through aria-describedby. */
  fieldError(name: string) {
    return this.page.locator(`#field-${name}-error`);
  }

  formError() {
    return this.page.getByTestId('form-error');
  }
}

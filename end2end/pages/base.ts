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

/** Picks the option of `select` whose text contains `text` (labels may carry paths). */
export async function selectByText(page: Page, selectLocator: string, text: string) {
  const select = page.locator(selectLocator);
  const option = select.locator('option', { hasText: text }).first();
  const value = await option.getAttribute('value');
  if (value === null) throw new Error(`no option containing "${text}" in ${selectLocator}`);
  await select.selectOption(value);
}

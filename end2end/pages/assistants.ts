import { expect } from '@playwright/test';
import { AppShell } from './shell';

/** /stores/:id/assistants: each assistant's allowed actions and the tools it gets now. */
export class AssistantsPage extends AppShell {
  async goto(storeId: string) {
    await this.page.goto(`/stores/${storeId}/assistants`);
    await this.expectOpen();
  }

  async expectOpen() {
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Assistants', level: 1 })).toBeVisible();
  }

  async create(name: string, description = '') {
    const form = this.page.getByTestId('create-assistant-form');
    await form.getByLabel('Name', { exact: true }).fill(name);
    if (description) await form.getByLabel('Description', { exact: true }).fill(description);
    await form.getByRole('button', { name: 'Create assistant' }).click();
    await expect(this.page.getByTestId('assistants-notice')).toContainText(`Assistant “${name}” created`);
    await expect(this.card(name)).toBeVisible();
  }

  /** An assistant's card, by its exact name. */
  card(name: string) {
    return this.page.getByRole('region', { name: `Assistant ${name}`, exact: true });
  }

  /** The checkbox of one action in the card's "Allowed actions". */
  allowedAction(name: string, action: string) {
    return this.card(name).getByTestId(`allowed-action-${action}`);
  }

  toolsPreview(name: string) {
    return this.card(name).getByTestId('tools-preview');
  }

  tool(name: string, action: string) {
    return this.toolsPreview(name).getByTestId(`tool-${action}`);
  }

  /** Ticks or unticks one allowed action with a click and waits for "Saved". */
  async setAllowed(name: string, action: string, allowed: boolean) {
    const box = this.allowedAction(name, action);
    await expect(box).toBeEnabled();
    if (allowed) await box.check();
    else await box.uncheck();
    await expect(this.card(name).getByTestId('allowed-status')).toHaveText('Saved');
  }
}

import { expect } from '@playwright/test';
import { AppShell } from './shell';

export class OutboxPage extends AppShell {
  async goto() {
    await this.page.goto('/org/outbox');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Outbox', level: 1 })).toBeVisible();
  }

  /** The first link in the newest mail to `email` (the outbox lists newest first). */
  async linkSentTo(email: string): Promise<string> {
    const mail = this.page.getByTestId('outbox-item').filter({ has: this.page.getByTestId('mail-to').filter({ hasText: email }) }).first();
    const body = await mail.getByTestId('mail-body').innerText();
    const link = body.match(/https?:\/\/\S+/);
    if (!link) throw new Error(`no link in the mail to ${email}:\n${body}`);
    return link[0];
  }
}

import { expect } from '@playwright/test';
import { AppShell } from './shell';
import { selectByText } from './base';

export class RolesPage extends AppShell {
  async goto() {
    await this.page.goto('/org/roles');
    await this.waitForHydration();
  }

  async expectOpen() {
    await expect(this.page.getByRole('heading', { name: 'Roles and permissions', level: 1 })).toBeVisible();
  }

  async createRole(name: string, description: string, permissions: string[]) {
    const form = this.page.getByTestId('create-role-form');
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Description', { exact: true }).fill(description);
    for (const key of permissions) {
      await form.locator(`input[type="checkbox"][value="${key}"]`).check();
    }
    await this.page.getByTestId('create-role').click();
    await expect(this.page.getByTestId('roles-notice')).toContainText(name);
  }

  async assign(person: string, role: string, where: string) {
    const form = this.page.getByTestId('create-assignment-form');
    await selectByText(this.page, '#assign-user', person);
    await selectByText(this.page, '#assign-role', role);
    await selectByText(this.page, '#assign-scope', where);
    await form.getByRole('button', { name: 'Assign' }).click();
  }

  assignmentRow(text: string) {
    return this.page.getByTestId('assignment-row').filter({ hasText: text });
  }
}

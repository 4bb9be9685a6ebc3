import { expect } from '@playwright/test';
import { AppShell } from './shell';
import { selectByText } from './base';

/** `/org/sso`: the organisation's identity provider. */
export class SsoPage extends AppShell {
  async goto() {
    await this.page.goto('/org/sso');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Single sign-on', level: 1 })).toBeVisible();
  }

  redirectUrl() {
    return this.page.getByTestId('sso-redirect-url');
  }

  signInUrl() {
    return this.page.getByTestId('sso-sign-in-url');
  }

  status() {
    return this.page.getByTestId('sso-status');
  }

  notice() {
    return this.page.getByTestId('sso-notice');
  }

  domains() {
    return this.page.getByLabel('Allowed email domains', { exact: true });
  }

  async fill(p: { name: string; issuer: string; clientId: string; secret?: string; domains: string }) {
    await this.field('Provider name').fill(p.name);
    await this.field('Issuer URL').fill(p.issuer);
    await this.field('Client id').fill(p.clientId);
    if (p.secret !== undefined) await this.page.locator('#field-client_secret').fill(p.secret);
    await this.domains().fill(p.domains);
  }

  async anyoneAtTheDomainsAs(role: string) {
    await selectByText(this.page, '#field-provisioning', 'Anyone at the allowed domains');
    await selectByText(this.page, '#field-default_role_id', role);
  }

  async save() {
    await this.page.getByTestId('sso-save').click();
  }

  async remove() {
    await this.page.getByText('Remove…').click();
    await this.page.getByRole('button', { name: 'Remove single sign-on' }).click();
    await expect(this.notice()).toContainText('Single sign-on removed');
  }
}

import { expect, Download } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { AppShell } from './shell';
import { selectByText } from './base';

/** /audit: the actions list with its filters, the CSV download and the chain status. */
export class AuditPage extends AppShell {
  async goto(query = '') {
    await this.page.goto(query ? `/audit?${query}` : '/audit');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Audit', level: 1 })).toBeVisible();
  }

  chainStatus() {
    return this.page.getByTestId('chain-status');
  }

  rows() {
    return this.page.getByTestId('audit-row');
  }

  row(actionId: string) {
    return this.page.locator(`[data-testid="audit-row"][data-action-id="${actionId}"]`);
  }

  /** Sets the filters given (store and action by visible text, the rest by value) and submits. */
  async filter(f: { store?: string; action?: string; status?: string; decision?: string; from?: string; to?: string }) {
    if (f.store) await selectByText(this.page, '[data-testid="audit-filter-store"]', f.store);
    if (f.action) await selectByText(this.page, '[data-testid="audit-filter-action"]', f.action);
    if (f.status) await this.page.getByTestId('audit-filter-status').selectOption(f.status);
    if (f.decision) await this.page.getByTestId('audit-filter-decision').selectOption(f.decision);
    if (f.from) await this.page.getByTestId('audit-filter-from').fill(f.from);
    if (f.to) await this.page.getByTestId('audit-filter-to').fill(f.to);
    await this.page.getByTestId('audit-filter-submit').click();
    await expect(this.page).toHaveURL(/\/audit\?/);
    await this.waitForHydration();
  }

  /** Clicks "Download CSV" and returns the downloaded file's name and text. */
  async downloadCsv(): Promise<{ name: string; text: string }> {
    const [download]: [Download, void] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByTestId('csv-link').click(),
    ]);
    const path = await download.path();
    return { name: download.suggestedFilename(), text: readFileSync(path, 'utf8') };
  }

  async open(actionId: string) {
    await this.row(actionId).getByRole('link').first().click();
    await expect(this.page).toHaveURL(new RegExp(`/audit/actions/${actionId}$`));
  }
}

/** /audit/actions/:id: one action's request, decision, trace, timeline and outcome. */
export class AuditActionPage extends AppShell {
  async goto(actionId: string) {
    await this.page.goto(`/audit/actions/${actionId}`);
    await this.waitForHydration();
  }

  timelineSteps() {
    return this.page.getByTestId('timeline-step');
  }

  status() {
    return this.page.getByTestId('action-status');
  }

  reason() {
    return this.page.getByTestId('action-reason');
  }

  trace() {
    return this.page.getByTestId('trace-table');
  }
}

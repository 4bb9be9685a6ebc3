import { Locator, expect } from '@playwright/test';
import { AppShell } from './shell';

/** An input's accessible name: required fields add " (required)" for screen readers. */
function labelled(label: string) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}( \\(required\\))?$`);
}

/** /automation: the rules list. */
export class AutomationPage extends AppShell {
  async goto(query = '') {
    await this.page.goto(`/automation${query}`);
    await this.expectOpen();
  }

  async expectOpen() {
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Automation', level: 1 })).toBeVisible();
  }

  async newRule() {
    await this.page.getByTestId('new-rule').click();
    await new RuleEditorPage(this.page).expectOpen('New rule');
  }

  /** A rule's row, by its exact name. */
  row(name: string) {
    return this.page
      .getByTestId('rule-row')
      .filter({ has: this.page.getByTestId('rule-name').getByText(name, { exact: true }) });
  }

  toggle(name: string) {
    return this.row(name).getByRole('switch', { name: 'On', exact: true });
  }

  /** Flips a rule's switch and waits for the row to say it saved. */
  async setOn(name: string, on: boolean) {
    const toggle = this.toggle(name);
    await expect(toggle).toBeEnabled();
    if ((await toggle.isChecked()) !== on) await toggle.click();
    await expect(this.row(name).getByTestId('rule-toggle-status')).toHaveText(on ? 'Switched on' : 'Switched off');
    await expect(toggle).toBeChecked({ checked: on });
  }

  notice() {
    return this.page.getByTestId('rules-notice');
  }
}

export type Condition = { field: string; comparison: string; value?: string };

/** /automation/rules/new and /automation/rules/:id: the rule editor. */
export class RuleEditorPage extends AppShell {
  async goto(id: string) {
    await this.page.goto(`/automation/rules/${id}`);
    await this.waitForHydration();
  }

  async expectOpen(title: string) {
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
    await expect(this.page.getByTestId('add-action')).toBeEnabled();
  }

  field(label: string) {
    return this.page.getByLabel(label, { exact: true });
  }

  async setBasics(b: { name?: string; description?: string; store?: string; events?: string; trigger?: string }) {
    if (b.name !== undefined) await this.field('Name').fill(b.name);
    if (b.description !== undefined) await this.field('Description (optional)').fill(b.description);
    if (b.store !== undefined) await this.field('Store').selectOption({ label: b.store });
    if (b.events !== undefined) await this.field('Events from').selectOption({ label: b.events });
    if (b.trigger !== undefined) await this.field('Trigger').selectOption({ label: b.trigger });
  }

  triggerFields() {
    return this.page.getByTestId('trigger-fields');
  }

  conditionRows() {
    return this.page.getByTestId('condition-row');
  }

  async addCondition(c: Condition) {
    const before = await this.conditionRows().count();
    await this.page.getByRole('button', { name: 'Add condition' }).click();
    const row = this.conditionRows().nth(before);
    await row.getByLabel('Field', { exact: true }).selectOption({ label: c.field });
    await row.getByLabel('Comparison', { exact: true }).selectOption({ label: c.comparison });
    if (c.value !== undefined) await row.getByLabel('Value', { exact: true }).fill(c.value);
  }

  steps() {
    return this.page.getByTestId('step');
  }

  step(n: number) {
    return this.steps().nth(n);
  }

  /** Opens the palette, searches, and picks the action by its name. */
  async addAction(search: string, actionName: string) {
    const before = await this.steps().count();
    await this.page.getByTestId('add-action').click();
    const palette = this.page.getByTestId('action-palette');
    await expect(palette).toBeVisible();
    await palette.getByLabel('Search actions').fill(search);
    await palette.getByRole('button', { name: actionName, exact: true }).click();
    await expect(this.steps()).toHaveCount(before + 1);
    await expect(this.step(before).getByRole('heading', { level: 3 })).toHaveText(`Step ${before + 1}: ${actionName}`);
  }

  /** Fills a step's inputs by their labels; `choices` are selects, by the option's text. */
  async fillStep(n: number, inputs: Record<string, string>, choices: Record<string, string> = {}) {
    const step = this.step(n);
    for (const [label, value] of Object.entries(inputs)) {
      await step.getByRole('textbox', { name: labelled(label) }).fill(value);
    }
    for (const [label, option] of Object.entries(choices)) {
      await step.getByRole('combobox', { name: labelled(label) }).selectOption({ label: option });
    }
  }

  /** A step's input, by its label. */
  stepInput(n: number, label: string) {
    return this.step(n).getByRole('textbox', { name: labelled(label) });
  }

  preview(n: number) {
    return this.step(n).getByTestId('step-preview');
  }

  async setSample(sample: unknown) {
    await this.field('Sample event').fill(JSON.stringify(sample, null, 2));
  }

  async dryRun() {
    await this.page.getByRole('button', { name: 'Dry run' }).click();
    await expect(this.dryRunResult()).toBeVisible();
  }

  dryRunResult() {
    return this.page.getByTestId('dry-run-result');
  }

  async save() {
    await this.page.getByRole('button', { name: 'Save rule' }).click();
  }

  notice() {
    return this.page.getByTestId('rule-notice');
  }

  errorSummary() {
    return this.page.getByTestId('rule-errors');
  }

  versionRows() {
    return this.page.getByTestId('version-row');
  }

  async restore(version: number) {
    await this.page.getByRole('button', { name: `Restore version ${version}` }).click();
  }

  async delete() {
    await this.page.getByRole('button', { name: 'Delete rule…' }).click();
    const confirm = this.page.getByTestId('delete-confirm');
    await expect(confirm).toBeVisible();
    // The confirmation takes the focus, so the keyboard is where the question is.
    await expect(confirm.getByRole('button', { name: 'Delete', exact: true })).toBeFocused();
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  }
}

/** /automation/runs: the run history. */
export class AutomationRunsPage extends AppShell {
  async goto(query = '') {
    await this.page.goto(`/automation/runs${query}`);
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Automation runs', level: 1 })).toBeVisible();
  }

  runs() {
    return this.page.getByTestId('run');
  }

  /** The newest run of a rule, waiting (reloading the page) until the server's worker has made it. */
  async waitForRun(ruleName: string, status: string): Promise<Locator> {
    const run = this.runs().filter({ has: this.page.getByTestId('run-rule').getByText(ruleName) }).filter({ has: this.page.getByTestId('run-status').getByText(status, { exact: true }) });
    await expect(async () => {
      await this.goto();
      await expect(run.first()).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    return run.first();
  }

  async open(run: Locator) {
    await run.locator('summary').click();
    await expect(run.getByTestId('run-body')).toBeVisible();
  }
}

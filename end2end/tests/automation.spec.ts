import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { StoresPage } from '../pages/stores';
import { StoreActionsPage } from '../pages/store-actions';
import { AutomationPage, AutomationRunsPage, RuleEditorPage } from '../pages/automation';
import { NotificationsPage } from '../pages/inbox';
import { signInAsOwner, serverFn } from '../helpers';

const RULE = 'High Value Deal Alert';
const BODY = 'New high-value opportunity: {{opportunity_name}} - ${{value}}';

/** A store in USD where notifications may be sent without anyone confirming them; its id. */
async function storeThatNotifies(page: Page, name: string): Promise<string> {
  const stores = new StoresPage(page);
  await stores.goto();
  await stores.create(name, 'USD');
  const storeId = await stores.storeId(name);
  const actions = new StoreActionsPage(page);
  await actions.goto(storeId);
  await actions.setEnabled('send_notification', true);
  await actions.setRequiresConfirmation('send_notification', false);
  return storeId;
}

/** What the CRM's integration does: POST /api/v1/events with its key and an Idempotency-Key. */
async function postEvent(request: APIRequestContext, key: string, storeId: string, payload: Record<string, unknown>) {
  const res = await request.post('/api/v1/events', {
    headers: { Authorization: `Bearer ${key}`, 'Idempotency-Key': crypto.randomUUID() },
    data: { trigger_id: 'high_value_opportunity', store_id: storeId, payload },
  });
  expect(res.status(), await res.text()).toBe(202);
  const body = await res.json();
  expect(body.event_id).toBeTruthy();
  return body;
}

/** The seed's example rule, typed into the editor as a merchant would. */
async function buildHighValueRule(editor: RuleEditorPage, store: string) {
  await editor.setBasics({ name: RULE, description: 'Tell the owner about big deals.', store });
  await editor.setBasics({ events: 'Sales: opportunities and deals', trigger: 'High-value opportunity' });
  // The trigger's fields are listed with what they mean.
  await expect(editor.triggerFields()).toContainText('{{opportunity_name}}');
  await expect(editor.triggerFields()).toContainText("The opportunity's value.");
  await editor.addCondition({ field: 'Value', comparison: 'is at least', value: '100000' });
  await editor.addAction('notif', 'Send a notification');
  await editor.fillStep(0, { Recipients: 'Owner', Title: 'Big deal', Message: BODY }, { Channel: 'In app', Severity: 'Info' });
}

test('the owner builds the high-value deal alert, dry-runs it, saves it, and an event runs it', async ({ page, request }) => {
  await signInAsOwner(page);
  const storeId = await storeThatNotifies(page, 'Deal Shop');

  const rules = new AutomationPage(page);
  await rules.goto();
  await rules.newRule();
  const editor = new RuleEditorPage(page);
  await buildHighValueRule(editor, 'Deal Shop');

  // The palette lists the actions in plain words, by group, with an example.
  await page.getByTestId('add-action').click();
  const palette = page.getByTestId('action-palette');
  await expect(palette.getByTestId('palette-group-business').getByRole('heading')).toHaveText('Business Operations');
  await expect(palette.getByTestId('palette-group-business').getByRole('button')).toHaveCount(18);
  await expect(palette.getByTestId('palette-group-commerce').getByRole('button', { name: 'Refund a payment' })).toBeVisible();
  await expect(palette.getByTestId('palette-group-automation')).toContainText('Example: Notify the Owner');
  await palette.screenshot({ path: 'test-results/review/automation-palette.png' });
  await page.keyboard.press('Escape');
  await expect(palette).toBeHidden();

  // The live preview fills the message in from the sample event.
  await editor.setSample({ opportunity_id: 'opp-77', opportunity_name: 'Acme renewal', value: 150000, currency: 'USD', owner_email: 'sam@example.com', stage: 'Negotiation' });
  await expect(editor.preview(0)).toContainText('New high-value opportunity: Acme renewal - $150000');

  // The dry run: the condition holds, the message is rendered, and the store allows it.
  await editor.dryRun();
  const result = editor.dryRunResult();
  await expect(result.getByTestId('dry-run-matched')).toHaveAttribute('data-matched', 'true');
  await expect(result.getByTestId('condition-result')).toHaveAttribute('data-passed', 'true');
  await expect(result.getByTestId('condition-result')).toContainText('value 150000 is at least 100000');
  await expect(result.getByTestId('dry-run-step')).toContainText('New high-value opportunity: Acme renewal - $150000');
  await expect(result.getByTestId('dry-run-decision')).toHaveAttribute('data-outcome', 'allow');
  await expect(result.getByTestId('dry-run-decision')).toContainText('Allowed');

  // A sample below the threshold: the rule would not run.
  await editor.setSample({ opportunity_name: 'Tiny deal', value: 900 });
  await editor.dryRun();
  await expect(result.getByTestId('dry-run-matched')).toHaveAttribute('data-matched', 'false');
  await expect(result.getByTestId('condition-result')).toContainText('value 900 is not at least 100000');
  await page.screenshot({ path: 'test-results/review/automation-editor.png', fullPage: true });

  await editor.save();
  await expect(editor.notice()).toContainText(`“${RULE}” is saved as version 1.`);
  await expect(page).toHaveURL(/\/automation\/rules\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: RULE, level: 1 })).toBeVisible();
  await expect(editor.versionRows()).toHaveCount(1);
  await expect(editor.versionRows().first()).toContainText('Created');
  // Saved for real: what was typed comes back from the server.
  await expect(editor.stepInput(0, 'Message')).toHaveValue(BODY);
  await expect(editor.conditionRows().first().getByLabel('Value', { exact: true })).toHaveValue('100000');

  // The list shows it in words, switched on, not run yet.
  await rules.goto();
  const row = rules.row(RULE);
  await expect(row.getByTestId('rule-trigger')).toHaveText('High-value opportunity');
  await expect(row.getByTestId('rule-store')).toHaveText('Deal Shop');
  await expect(rules.toggle(RULE)).toBeChecked();
  await expect(row).toContainText('Not run yet');
  await page.screenshot({ path: 'test-results/review/automation-rules.png', fullPage: true });

  // The CRM's integration posts two events with a management key: one big deal, one small.
  const key = await serverFn(page, 'api_keys_create', { name: 'CRM integration', role_id: 'role-owner', scope: 'org' });
  await postEvent(request, key.secret, storeId, { opportunity_id: 'opp-1', opportunity_name: 'Small order', value: 5000, currency: 'USD' });
  await postEvent(request, key.secret, storeId, { opportunity_id: 'opp-2', opportunity_name: 'Globex expansion', value: 240000, currency: 'USD' });

  // The server's worker runs the rule: the big deal's run succeeded, the small one was skipped.
  const runs = new AutomationRunsPage(page);
  const run = await runs.waitForRun(RULE, 'Succeeded');
  await runs.open(run);
  await expect(run.getByTestId('condition-result')).toHaveAttribute('data-passed', 'true');
  await expect(run.getByTestId('condition-result')).toContainText('value 240000 is at least 100000');
  await expect(run.getByTestId('run-step-status')).toHaveText('Done');
  await expect(run.getByTestId('run-step')).toContainText('New high-value opportunity: Globex expansion - $240000');
  await expect(run.getByTestId('run-step-audit')).toBeVisible();
  const skipped = await runs.waitForRun(RULE, 'Skipped: conditions not met');
  await runs.open(skipped);
  await expect(skipped.getByTestId('condition-result')).toHaveAttribute('data-passed', 'false');
  await expect(skipped.getByTestId('run-replay')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/review/automation-runs.png', fullPage: true });

  // The step's audit link opens the action the rule took.
  await runs.open(run);
  await run.getByTestId('run-step-audit').click();
  await expect(page.getByTestId('action-status')).toHaveText('Executed');

  // The owner got the in-app notification with the message filled in.
  const notifications = new NotificationsPage(page);
  await notifications.goto();
  await expect(notifications.item('Big deal')).toContainText('New high-value opportunity: Globex expansion - $240000');
  await expect(notifications.item('Big deal')).toHaveCount(1);

  // The list now shows the last run; switching the rule off sticks.
  await rules.goto();
  await expect(rules.row(RULE).getByTestId('rule-last-run')).toContainText('Succeeded');
  await rules.setOn(RULE, false);
  await rules.goto();
  await expect(rules.toggle(RULE)).not.toBeChecked();
});

test('mistakes are shown next to their inputs, nothing typed is lost, and versions can be restored', async ({ page }) => {
  await signInAsOwner(page);
  await storeThatNotifies(page, 'Draft Shop');
  const rules = new AutomationPage(page);
  await rules.goto();
  await rules.newRule();
  const editor = new RuleEditorPage(page);
  await editor.setBasics({ store: 'Draft Shop', events: 'Sales: opportunities and deals', trigger: 'High-value opportunity' });
  await editor.addCondition({ field: 'Value', comparison: 'is at least', value: '' });
  await editor.addAction('notification', 'Send a notification');
  await editor.fillStep(0, { Recipients: 'Owner', Message: 'Hi {{customer_mood}}' }, { Channel: 'In app', Severity: 'Warning' });

  // The preview says which field the event lacks.
  await expect(editor.preview(0).getByTestId('preview-missing')).toContainText('customer_mood');

  // A required input left empty is caught before anything is sent.
  await editor.save();
  await expect(editor.step(0).getByText('Required: fill this in.')).toBeVisible();
  await expect(editor.stepInput(0, 'Title')).toHaveAttribute('aria-invalid', 'true');

  // The server names every other mistake, each next to its input; what was typed stays.
  await editor.fillStep(0, { Title: 'Heads up' });
  await editor.save();
  await expect(editor.errorSummary()).toContainText('3 inputs need attention');
  await expect(page.getByTestId('rule-name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#rule-name-error')).toHaveText('Give the rule a name.');
  const valueInput = editor.conditionRows().first().getByLabel('Value', { exact: true });
  await expect(valueInput).toHaveAttribute('aria-invalid', 'true');
  await expect(editor.conditionRows().first()).toContainText('Give the value to compare with.');
  await expect(editor.stepInput(0, 'Message')).toHaveAttribute('aria-invalid', 'true');
  await expect(editor.step(0)).toContainText('events carry no field "customer_mood"');
  await expect(editor.stepInput(0, 'Message')).toHaveValue('Hi {{customer_mood}}');
  await expect(editor.stepInput(0, 'Title')).toHaveValue('Heads up');
  await page.screenshot({ path: 'test-results/review/automation-editor-errors.png', fullPage: true });

  // Fixed, it saves; a second save with another name is version 2.
  await editor.setBasics({ name: 'Draft alert' });
  await valueInput.fill('50000');
  await editor.fillStep(0, { Message: 'Deal: {{opportunity_name}}' });
  await editor.save();
  await expect(editor.notice()).toContainText('“Draft alert” is saved as version 1.');
  await expect(page.getByRole('heading', { name: 'Draft alert', level: 1 })).toBeVisible();
  await editor.setBasics({ name: 'Renamed alert' });
  await editor.save();
  await expect(editor.notice()).toContainText('“Renamed alert” is saved as version 2.');
  await expect(editor.versionRows()).toHaveCount(2);
  await expect(editor.versionRows().first()).toContainText('Changed name');

  // Restoring version 1 brings the old name back as version 3.
  await editor.restore(1);
  await expect(editor.notice()).toContainText('Version 1 is restored as version 3.');
  await expect(page.getByRole('heading', { name: 'Draft alert', level: 1 })).toBeVisible();
  await expect(editor.field('Name')).toHaveValue('Draft alert');
  await expect(editor.versionRows()).toHaveCount(3);
  await expect(editor.versionRows().first()).toContainText('Restored version 1');
  await page.getByTestId('version-history').screenshot({ path: 'test-results/review/automation-versions.png' });

  // Deleting asks first, then the list says so.
  await editor.delete();
  await rules.expectOpen();
  await expect(rules.notice()).toContainText('“Draft alert” is deleted.');
  await expect(rules.row('Draft alert')).toHaveCount(0);
});

import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { StoresPage } from '../pages/stores';
import { StoreActionsPage } from '../pages/store-actions';
import { AutomationPage, AutomationRunsPage, RuleEditorPage } from '../pages/automation';
import { NotificationsPage } from '../pages/inbox';
import { PeoplePage } from '../pages/people';
import { OutboxPage } from '../pages/outbox';
import { InvitePage } from '../pages/invite';
import { OverviewPage } from '../pages/overview';
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

  // The run on its own page shows the event it ran on; its step links to the action taken.
  await runs.open(run);
  await run.getByTestId('run-link').click();
  await expect(page.getByRole('heading', { name: RULE, level: 1 })).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('Succeeded');
  await expect(page.getByTestId('run-payload')).toContainText('Globex expansion');
  await page.screenshot({ path: 'test-results/review/automation-run.png', fullPage: true });
  await page.getByTestId('run-step-audit').click();
  await expect(page.getByTestId('action-status')).toHaveText('Executed');

  // The owner got the in-app notification with the message filled in.
  const notifications = new NotificationsPage(page);
  await notifications.goto();
  await expect(notifications.item('Big deal')).toContainText('New high-value opportunity: Globex expansion - $240000');
  await expect(notifications.item('Big deal')).toHaveCount(1);

  // An event without the opportunity's name: the message can't be filled in, so the run fails
  // and says why; the owner replays it from the history.
  await postEvent(request, key.secret, storeId, { opportunity_id: 'opp-3', value: 300000, currency: 'USD' });
  const failed = await runs.waitForRun(RULE, 'Failed');
  await runs.open(failed);
  await expect(failed.getByTestId('run-step-status')).toHaveText('Failed');
  await expect(failed.getByTestId('run-step-error')).toContainText('opportunity_name');
  await failed.getByRole('button', { name: 'Replay' }).click();
  await expect(page.getByTestId('runs-notice')).toContainText('Replay queued');
  const failedRuns = runs.runs().filter({ has: page.getByTestId('run-status').getByText('Failed', { exact: true }) });
  await expect(async () => {
    await runs.goto();
    await expect(failedRuns).toHaveCount(2, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  // The list now shows the last run; switching the rule off sticks.
  await rules.goto();
  await expect(rules.row(RULE).getByTestId('rule-last-run')).toContainText('Failed');
  await expect(rules.row(RULE).getByTestId('rule-health')).toContainText('Failed 2 times in a row');
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

  // A step that saves its outputs offers them to the steps after it, by the name they must be typed as.
  await editor.step(0).getByLabel('Save outputs as (optional)').fill('alert');
  await editor.addAction('task', 'Create a task');
  await expect(editor.step(1).getByTestId('outputs-available')).toContainText('{{vars.alert.notification_ids}} — Notification ids');
  await expect(editor.step(0).getByTestId('outputs-available')).toHaveCount(0);
  await editor.step(1).getByRole('button', { name: 'Remove step 2' }).click();
  await expect(editor.steps()).toHaveCount(1);
  await editor.step(0).getByLabel('Save outputs as (optional)').fill('');

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

test('a Viewer sees the rules and may dry-run one, but is offered nothing that changes them', async ({ page, browser, request }) => {
  await signInAsOwner(page);
  const store = await serverFn(page, 'stores_create', { name: 'Viewer Deal Shop', currency: 'USD', team_id: '' });
  // The rule comes through the REST API, as an integration would create it.
  const key = await serverFn(page, 'api_keys_create', { name: 'Rules integration', role_id: 'role-owner', scope: 'org' });
  const created = await request.post('/api/v1/automation/rules', {
    headers: { Authorization: `Bearer ${key.secret}` },
    data: {
      name: 'Watched alert',
      module_type: 'sales',
      trigger_id: 'high_value_opportunity',
      store_id: store.id,
      conditions: [{ type: 'value_threshold', field: 'value', value: 100000 }],
      actions: [{ type: 'send_notification', parameters: { recipients: ['Owner'], title: 'Big deal', body: BODY, channel: 'in_app', severity: 'info' } }],
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const rule = await created.json();

  const people = new PeoplePage(page);
  await people.goto();
  await people.invite('marie@example.com', 'Marie Curie', 'Viewer');
  const outbox = new OutboxPage(page);
  await outbox.goto();
  const link = await outbox.linkSentTo('marie@example.com');
  const context = await browser.newContext();
  const viewerPage = await context.newPage();
  const invite = new InvitePage(viewerPage);
  await invite.open(link);
  await invite.accept('radium glows softly');
  await new OverviewPage(viewerPage).expectOpen();

  // The list: the rule and its state, but no switch and no "New rule".
  const rules = new AutomationPage(viewerPage);
  await rules.goto();
  await expect(rules.row('Watched alert').getByTestId('rule-state')).toHaveText('On');
  await expect(viewerPage.getByRole('switch')).toHaveCount(0);
  await expect(viewerPage.getByTestId('new-rule')).toHaveCount(0);
  // Runs are part of the audit trail: no entry for them, and the address says so.
  const nav = viewerPage.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('heading', { name: 'Stores & automation' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Automation', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Automation runs' })).toHaveCount(0);
  await expect(nav.getByRole('heading', { name: 'Audit', exact: true })).toHaveCount(0);

  // The editor is read-only: no Save, Restore or Delete; a dry run still answers.
  const editor = new RuleEditorPage(viewerPage);
  await editor.goto(rule.id);
  await expect(viewerPage.getByTestId('rule-read-only')).toContainText('not change it');
  await expect(viewerPage.getByRole('button', { name: 'Save rule' })).toHaveCount(0);
  await expect(viewerPage.getByRole('button', { name: 'Delete rule…' })).toHaveCount(0);
  await expect(viewerPage.getByTestId('version-restore')).toHaveCount(0);
  await editor.dryRun();
  await expect(editor.dryRunResult().getByTestId('dry-run-matched')).toHaveAttribute('data-matched', 'true');
  // Notifications are off in this store, so the decision is a refusal, with the reason.
  await expect(editor.dryRunResult().getByTestId('dry-run-decision')).toHaveAttribute('data-outcome', 'deny');
  await expect(editor.dryRunResult().getByTestId('dry-run-reason')).not.toBeEmpty();

  await viewerPage.goto('/automation/runs');
  await expect(viewerPage.getByTestId('error-notice')).toContainText('Not allowed');
  await context.close();
});

import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { OverviewPage } from '../pages/overview';
import { ApprovalsPage } from '../pages/approvals';
import { AuditPage, AuditActionPage } from '../pages/audit';
import { PeoplePage } from '../pages/people';
import { OutboxPage } from '../pages/outbox';
import { InvitePage } from '../pages/invite';
import { signInAsOwner, serverFn } from '../helpers';

/**
 * A store whose refunds are on and need staff approval, an assistant allowed to refund and
 * to cancel orders (cancellations stay off, so they are refused), and that assistant's
 * agent key — what an agent runtime would be given.
 */
async function storeWithAgent(page: Page, name: string): Promise<{ storeId: string; key: string }> {
  const store = await serverFn(page, 'stores_create', { name, currency: 'EUR', team_id: '' });
  await serverFn(page, 'permissions_set', {
    store_id: store.id,
    action_type: 'process_refund',
    enabled: 'true',
    requires_confirmation: 'true',
    confirmation_by: 'staff',
  });
  const assistant = await serverFn(page, 'assistants_create', { store_id: store.id, name: `${name} bot` });
  await serverFn(page, 'assistants_set_allowed_actions', {}, { id: assistant.id, allowed_actions: ['process_refund', 'cancel_order'] });
  const created = await serverFn(page, 'assistant_keys_create', {
    name: `${name} runtime`,
    store_id: store.id,
    assistant_id: assistant.id,
  });
  return { storeId: store.id, key: created.secret };
}

/** What the agent runtime does: POST /api/v1/actions with its key and an Idempotency-Key. */
async function invoke(request: APIRequestContext, key: string, actionType: string, params: Record<string, unknown>) {
  const res = await request.post('/api/v1/actions', {
    headers: { Authorization: `Bearer ${key}`, 'Idempotency-Key': crypto.randomUUID() },
    data: { action_type: actionType, params },
  });
  expect(res.status(), await res.text()).toBe(201);
  return res.json();
}

const APPROVER = { email: 'alan@example.com', name: 'Alan Turing', password: 'enigma rotors turn slowly' };

test('a refund waiting for staff appears in Approvals, the approver approves it, and the audit detail shows the timeline', async ({ page, browser, request }) => {
  await signInAsOwner(page);
  const { key } = await storeWithAgent(page, 'Approvals Shop');
  const refund = await invoke(request, key, 'process_refund', { order_id: 'A-1001', amount: '25.00', reason: 'Damaged parcel' });
  expect(refund.status).toBe('pending');
  const other = await invoke(request, key, 'process_refund', { order_id: 'A-1002', amount: '12.50', reason: 'Late delivery' });
  expect(other.status).toBe('pending');

  // The owner invites an Approver, who accepts in their own browser and does the approving.
  const people = new PeoplePage(page);
  await people.goto();
  await people.invite(APPROVER.email, APPROVER.name, 'Approver');
  const outbox = new OutboxPage(page);
  await outbox.goto();
  const link = await outbox.linkSentTo(APPROVER.email);
  const context = await browser.newContext();
  const approverPage = await context.newPage();
  const invite = new InvitePage(approverPage);
  await invite.open(link);
  await invite.accept(APPROVER.password);
  await new OverviewPage(approverPage).expectOpen();
  // The overview tells the approver what waits for them.
  await expect(approverPage.getByTestId('overview-waiting')).toBeVisible();

  const approvals = new ApprovalsPage(approverPage);
  await approvals.goto();
  // The navigation says how many wait, in words a screen reader reads out.
  await expect(approvals.badge()).toBeVisible();
  await expect(approvals.navLink()).toHaveAccessibleName(/^Approvals\s*,\s*\d+ waiting$/);
  const card = approvals.card(refund.id);
  await expect(card).toContainText('Refund a payment');
  await expect(card).toContainText('Approvals Shop');
  await expect(card).toContainText('Approvals Shop bot');
  await expect(card.getByTestId('approval-amount')).toHaveText('25.00 EUR');
  await expect(card).toContainText('Damaged parcel');
  await expect(card.getByTestId('approval-reason')).not.toBeEmpty();
  // The trace is folded away until asked for.
  await expect(card.getByTestId('trace-table')).toBeHidden();
  await card.getByText('How it was decided').click();
  await expect(card.getByTestId('trace-table')).toBeVisible();

  const before = Number((await approvals.badge().innerText()).match(/\d+/)?.[0]);
  await approvals.approve(refund.id);
  await expect(approvals.notice()).toContainText(/^Approved — /);
  await approvals.reject(other.id);
  if (before > 2) {
    await expect(approvals.badge()).toContainText(String(before - 2));
  } else {
    await expect(approvals.badge()).toHaveCount(0);
    await expect(approvals.empty()).toHaveText('Nothing is waiting for you.');
  }

  // The audit detail: requested, then confirmed by the approver, with the decision's trace.
  const detail = new AuditActionPage(approverPage);
  await detail.goto(refund.id);
  await expect(approverPage.getByRole('heading', { name: 'Refund a payment', level: 1 })).toBeVisible();
  const steps = detail.timelineSteps();
  await expect(steps.first()).toContainText('Requested');
  await expect(steps.first()).toContainText('Approvals Shop runtime');
  await expect(steps.nth(1)).toContainText('Confirmed');
  await expect(steps.nth(1)).toContainText(`Approved by ${APPROVER.email}`);
  await expect(detail.trace()).toBeVisible();
  await expect(approverPage.getByTestId('input-list')).toContainText('Damaged parcel');

  // The rejected one says so.
  await detail.goto(other.id);
  await expect(detail.status()).toHaveText('Cancelled');
  await expect(detail.timelineSteps().nth(1)).toContainText('Cancelled');
  await context.close();
});

test('the audit list filters by store and status, and the CSV download holds exactly those rows', async ({ page, request }) => {
  await signInAsOwner(page);
  const { key } = await storeWithAgent(page, 'CSV Shop');
  const pending = [
    await invoke(request, key, 'process_refund', { order_id: 'C-1', amount: '10', reason: 'Wrong size, "XL"' }),
    await invoke(request, key, 'process_refund', { order_id: 'C-2', amount: '20.5', reason: 'Broken' }),
  ];
  const denied = await invoke(request, key, 'cancel_order', { order_id: 'C-3' });
  expect(denied.status).toBe('denied');

  const audit = new AuditPage(page);
  await audit.goto();
  await expect(audit.chainStatus()).toContainText(/^Audit trail intact — \d+ events$/);
  await audit.filter({ store: 'CSV Shop', status: 'pending' });
  await expect(audit.rows()).toHaveCount(2);
  for (const a of pending) await expect(audit.row(a.id)).toContainText('Refund a payment');
  await expect(audit.row(denied.id)).toHaveCount(0);

  const csv = await audit.downloadCsv();
  expect(csv.name).toMatch(/^mandate-actions-\d{8}\.csv$/);
  const lines = csv.text.split('\r\n').filter((l) => l !== '');
  expect(lines[0]).toBe('created_at,id,store,assistant,action_type,amount,decision,status,reason,code,confirmed_by,executed_at,error_code');
  expect(lines).toHaveLength(3);
  // Newest first, like the table.
  expect(lines[1]).toContain(pending[1].id);
  expect(lines[2]).toContain(pending[0].id);
  for (const l of lines.slice(1)) expect(l).toContain(',CSV Shop,CSV Shop bot,process_refund,');
  expect(csv.text).not.toContain(denied.id);

  // The denial is one filter away, and its row opens the detail.
  await audit.goto();
  await audit.filter({ store: 'CSV Shop', decision: 'deny' });
  await expect(audit.rows()).toHaveCount(1);
  await audit.open(denied.id);
  await expect(new AuditActionPage(page).status()).toHaveText('Denied');
});

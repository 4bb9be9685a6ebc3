import { test, expect } from '@playwright/test';
import { OWNER } from '../fixtures';
import { NotificationsPage, TasksPage } from '../pages/inbox';
import { AuditActionPage } from '../pages/audit';
import { signInAsOwner, serverFn } from '../helpers';

test('an assistant creates a task for the owner: a notification arrives, the task is listed and the owner closes it', async ({ page, request }) => {
  await signInAsOwner(page);

  // A store where the assistant may create tasks, and its agent key.
  const store = await serverFn(page, 'stores_create', { name: 'Task Shop', currency: 'EUR', team_id: '' });
  await serverFn(page, 'permissions_set', {
    store_id: store.id,
    action_type: 'create_task',
    enabled: 'true',
    requires_confirmation: 'false',
    confirmation_by: 'staff',
  });
  const assistant = await serverFn(page, 'assistants_create', { store_id: store.id, name: 'Task bot' });
  await serverFn(page, 'assistants_set_allowed_actions', {}, { id: assistant.id, allowed_actions: ['create_task'] });
  const created = await serverFn(page, 'assistant_keys_create', { name: 'Task runtime', store_id: store.id, assistant_id: assistant.id });

  // What the agent runtime does.
  const res = await request.post('/api/v1/actions', {
    headers: { Authorization: `Bearer ${created.secret}`, 'Idempotency-Key': crypto.randomUUID() },
    data: { action_type: 'create_task', params: { title: 'Call back about order 1042', description: 'Parcel arrived damaged', assignee: OWNER.email, priority: 'high' } },
  });
  expect(res.status(), await res.text()).toBe(201);
  const action = await res.json();
  expect(action.status).toBe('executed');

  // The owner is told, in the navigation and on the notifications page.
  const notifications = new NotificationsPage(page);
  await notifications.goto();
  await expect(notifications.badge()).toBeVisible();
  const item = notifications.item('New task: Call back about order 1042');
  await expect(item).toContainText('Parcel arrived damaged');
  await expect(item.getByTestId('notification-new')).toBeVisible();
  await notifications.markAllRead();
  await expect(notifications.badge()).toHaveCount(0);
  await expect(item.getByTestId('notification-new')).toHaveCount(0);

  // The task is in the list, assigned to the owner; they close it.
  const tasks = new TasksPage(page);
  await tasks.goto('?mine=1');
  const row = tasks.row('Call back about order 1042');
  await expect(row).toContainText('Task Shop');
  await expect(row.getByTestId('task-assignee')).toContainText(OWNER.name);
  await expect(row.getByTestId('task-status')).toHaveText('Open');
  await tasks.setStatus('Call back about order 1042', 'Done');
  await expect(tasks.row('Call back about order 1042').getByTestId('task-status')).toHaveText('Done');

  // The task links back to the action that created it.
  await tasks.row('Call back about order 1042').getByTestId('task-action').click();
  await expect(new AuditActionPage(page).status()).toHaveText('Executed');
});

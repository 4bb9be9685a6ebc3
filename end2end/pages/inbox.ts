import { expect } from '@playwright/test';
import { AppShell } from './shell';

/** /notifications: the signed-in person's own notifications. */
export class NotificationsPage extends AppShell {
  async goto() {
    await this.page.goto('/notifications');
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
  }

  badge() {
    return this.page.getByTestId('notifications-badge');
  }

  item(title: string) {
    return this.page.getByTestId('notification').filter({ has: this.page.getByTestId('notification-title').getByText(title, { exact: true }) });
  }

  async markAllRead() {
    await this.page.getByTestId('mark-all-read').click();
    await expect(this.page.getByTestId('notifications-notice')).toBeVisible();
  }
}

/** /tasks: tasks the viewer may see, with a status control where they may change it. */
export class TasksPage extends AppShell {
  async goto(query = '') {
    await this.page.goto(`/tasks${query}`);
    await this.waitForHydration();
    await expect(this.page.getByRole('heading', { name: 'Tasks', level: 1 })).toBeVisible();
  }

  row(title: string) {
    return this.page.getByTestId('task-row').filter({ has: this.page.getByTestId('task-title').getByText(title, { exact: true }) });
  }

  async setStatus(title: string, label: string) {
    const row = this.row(title);
    await row.getByTestId('task-status-select').selectOption({ label });
    await row.getByTestId('task-status-save').click();
    await expect(this.page.getByTestId('tasks-notice')).toBeVisible();
  }
}

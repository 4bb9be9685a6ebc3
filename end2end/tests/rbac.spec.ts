import { test, expect } from '@playwright/test';
import { OWNER } from '../fixtures';
import { OverviewPage } from '../pages/overview';
import { PeoplePage } from '../pages/people';
import { OutboxPage } from '../pages/outbox';
import { InvitePage } from '../pages/invite';
import { TeamsPage } from '../pages/teams';
import { RolesPage } from '../pages/roles';
import { signInAsOwner } from '../helpers';

test('an invited person accepts through the outbox link and sees only what a Viewer may', async ({ page, browser }) => {
  await signInAsOwner(page);
  const people = new PeoplePage(page);
  await people.goto();
  await people.invite('grace@example.com', 'Grace Hopper', 'Viewer');
  await expect(people.row('grace@example.com')).toContainText('invited');

  // No SMTP here: the mail waits in the outbox, where the owner can read the link.
  const outbox = new OutboxPage(page);
  await outbox.goto();
  const link = await outbox.linkSentTo('grace@example.com');

  // Grace, in her own browser, accepts and is signed in.
  const context = await browser.newContext();
  const gracePage = await context.newPage();
  const invite = new InvitePage(gracePage);
  await invite.open(link);
  await invite.accept('nautical compiler lore');
  const overview = new OverviewPage(gracePage);
  await overview.expectOpen();
  await overview.expectSignedInAs('Grace Hopper', OWNER.org);

  // A Viewer has no link to roles, and the address itself answers "not allowed".
  await expect(gracePage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' })).toHaveCount(0);
  await gracePage.goto('/org/roles');
  await expect(gracePage.getByTestId('error-notice')).toContainText('Not allowed');
  await context.close();

  // Back with the owner: Grace is now active.
  await people.goto();
  await expect(people.row('grace@example.com')).toContainText('active');
});

test('the owner builds a two-level team tree, creates a custom role and assigns it at a team', async ({ page }) => {
  await signInAsOwner(page);
  const teams = new TeamsPage(page);
  await teams.goto();
  await teams.create('Europe');
  await teams.create('Nordics', 'Europe');
  // Nordics sits inside Europe's node.
  await expect(teams.node('Europe').getByTestId('team-name').getByText('Nordics', { exact: true })).toBeVisible();

  const roles = new RolesPage(page);
  await roles.goto();
  await roles.expectOpen();
  await roles.createRole('Refund desk', 'Approves refunds for their team', ['actions.approve', 'audit.read']);
  await roles.assign('grace@example.com', 'Refund desk', 'Nordics');
  await expect(roles.assignmentRow('Refund desk')).toContainText('Nordics');
});

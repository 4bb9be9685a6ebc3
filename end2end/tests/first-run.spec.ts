import { test, expect } from '@playwright/test';
import { OWNER, setupTokenFromLog } from '../fixtures';
import { SetupPage } from '../pages/setup';
import { OverviewPage } from '../pages/overview';

test('a new install sends visitors to set-up, which needs the token from the server log', async ({ page }) => {
  const setup = new SetupPage(page);

  // Any page redirects to set-up while no organisation exists.
  await page.goto('/');
  await setup.expectOpen();
  await setup.waitForHydration();

  // A wrong token is refused with a message that says where the right one is.
  await setup.submit({ token: 'not-the-token', org: OWNER.org, name: OWNER.name, email: OWNER.email, password: OWNER.password });
  await expect(setup.fieldError('token')).toContainText('server log');

  // A weak password is refused next to its field.
  await setup.submit({ token: setupTokenFromLog(), org: OWNER.org, name: OWNER.name, email: OWNER.email, password: 'password1234' });
  await expect(setup.fieldError('password')).toContainText('too common');

  // The token from the log and a good password create the org and sign the owner in.
  await setup.submit({ token: setupTokenFromLog(), org: OWNER.org, name: OWNER.name, email: OWNER.email, password: OWNER.password });
  const overview = new OverviewPage(page);
  await overview.expectOpen();
  await overview.expectSignedInAs(OWNER.name, OWNER.org);

  // The overview tells a new owner what to do next and shows the audit trail is intact.
  await expect(overview.nextSteps()).toContainText('mandate api-key create --org acme-store');
  await expect(overview.chainStatus()).toContainText('Intact');
  await expect(overview.recentActivity()).toContainText('Created the organisation');

  // Set-up is one-time: the page now sends people away.
  await page.goto('/setup');
  await overview.expectOpen();
});
